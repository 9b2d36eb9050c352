package lint

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/smtptest/smtptest/dkimtest"
)

// oneClick is good with the one-click unsubscribe fields.
var oneClick = strings.Replace(good, "\r\n\r\n", "\r\nList-Unsubscribe: <https://example.com/u>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\n", 1)

func signed(t *testing.T, msg string, k *dkimtest.Key, headers ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := dkim.Sign(&out, strings.NewReader(msg), &dkim.SignOptions{Domain: k.Domain, Selector: k.Selector, Signer: k.Signer, HeaderKeys: headers}); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestDKIMRules(t *testing.T) {
	gen := func(domain, selector string) *dkimtest.Key {
		k, err := dkimtest.GenerateKey(domain, selector, dkimtest.Ed25519)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	app, esp, unknown := gen("example.com", "s1"), gen("esp.example", "s1"), gen("example.com", "old")
	keys := new(dkimtest.Keys)
	keys.Add(app, esp)

	lengthMsg, err := os.ReadFile("../dkimtest/testdata/length-ed25519.eml")
	if err != nil {
		t.Fatal(err)
	}
	lengthRecord, _ := os.ReadFile("../dkimtest/testdata/length-ed25519.txt")
	lengthKey, err := dkimtest.ParseKey("example.com", "news", lengthRecord)
	if err != nil {
		t.Fatal(err)
	}
	lengthKeys := new(dkimtest.Keys)
	lengthKeys.Add(lengthKey)

	bulk := BulkSender()
	for _, tc := range []struct {
		name string
		msg  string
		opts []Option
		want []string
	}{
		{"signed, bulk, verified", signed(t, oneClick, app), []Option{bulk, DKIMKeys(keys)}, nil},
		{"signed, bulk, unverified", signed(t, oneClick, app), []Option{bulk}, nil},
		{"signed, no profile, no keys: not looked at", signed(t, oneClick, unknown), nil, nil},
		{"unsubscribe fields not signed", signed(t, oneClick, app, "From", "To", "Subject"), []Option{bulk, DKIMKeys(keys)}, []string{"dkim/unsigned-field"}},
		{"signed by the ESP only", signed(t, oneClick, esp), []Option{bulk, DKIMKeys(keys)}, []string{"dkim/not-aligned"}},
		{"ESP and app", signed(t, signed(t, oneClick, app), esp), []Option{bulk, DKIMKeys(keys)}, nil},
		{"body changed", strings.Replace(signed(t, oneClick, app), "Ann.", "Bob.", 1), []Option{DKIMKeys(keys)}, []string{"dkim/invalid"}},
		{"body changed, bulk", strings.Replace(signed(t, oneClick, app), "Ann.", "Bob.", 1), []Option{bulk, DKIMKeys(keys)}, []string{"dkim/invalid", "dkim/not-aligned"}},
		{"body changed, bulk, no keys", strings.Replace(signed(t, oneClick, app), "Ann.", "Bob.", 1), []Option{bulk}, nil},
		{"key not registered", signed(t, oneClick, unknown), []Option{bulk, DKIMKeys(keys)}, []string{"dkim/no-key", "dkim/not-aligned"}},
		{"l= leaves the body unsigned", string(lengthMsg), []Option{DKIMKeys(lengthKeys)}, []string{"dkim/body-length"}},
		{"l=, bulk, no keys", string(lengthMsg), []Option{bulk}, []string{"dkim/body-length"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := Check([]byte(tc.msg), append(tc.opts, Ignore("header/message-id-missing"))...)
			var got []string
			for _, p := range ps {
				if strings.HasPrefix(p.Rule, "dkim/") {
					got = append(got, p.Rule)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("rules %q, want %q\n%v", got, tc.want, ps)
			}
			for _, p := range ps {
				if strings.HasPrefix(p.Rule, "dkim/") && p.Rule != "dkim/missing" && p.Line != 1 && !strings.HasPrefix(tc.name, "ESP") {
					t.Errorf("%s at line %d, want the DKIM-Signature's line 1", p.Rule, p.Line)
				}
			}
		})
	}
	ps := Check([]byte(signed(t, oneClick, app, "From", "To")), bulk, Ignore("line/long"))
	if len(ps) != 1 || !strings.Contains(ps[0].Text, "does not sign List-Unsubscribe, List-Unsubscribe-Post (h=From:To)") {
		t.Errorf("Text: %v", ps)
	}
}
