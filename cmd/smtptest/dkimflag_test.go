package main

import (
	"bytes"
	"encoding/json"
	"github.com/smtptest/smtptest/internal/jsonview"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/smtptest/smtptest/dkimtest"
)

const bulkMsg = "Date: Tue, 01 Dec 2026 20:00:00 +0000\r\n" +
	"From: News <news@example.com>\r\n" +
	"To: ann@example.org\r\n" +
	"Subject: Weekly\r\n" +
	"Message-ID: <weekly-1@example.com>\r\n" +
	"List-Unsubscribe: <https://example.com/u/1>\r\n" +
	"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" +
	"\r\n" +
	"Hello Ann.\r\n"

func dkimSign(t *testing.T, msg string, k *dkimtest.Key) string {
	t.Helper()
	var out bytes.Buffer
	if err := dkim.Sign(&out, strings.NewReader(msg), &dkim.SignOptions{Domain: k.Domain, Selector: k.Selector, Signer: k.Signer}); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// dkimKeys makes an Ed25519 and an RSA key and writes them as the
// application's operator would have them: a TXT record, a public PEM and
// a private PEM.
func dkimKeys(t *testing.T) (ed, rsa *dkimtest.Key, args []string) {
	dir := t.TempDir()
	ed, err := dkimtest.GenerateKey("example.com", "ed", dkimtest.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	rsa, err = dkimtest.GenerateKey("example.com", "rsa", dkimtest.RSA)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"ed.txt": []byte(ed.TXT() + "\n"), "rsa.pem": rsa.PublicKeyPEM(), "rsa-private.pem": rsa.PrivateKeyPEM()}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return ed, rsa, []string{
		"-dkim-key", "example.com:ed:" + filepath.Join(dir, "ed.txt"),
		"-dkim-key", "example.com:rsa:" + filepath.Join(dir, "rsa.pem"),
		"-dkim-key", "example.com:rsa2:" + filepath.Join(dir, "rsa-private.pem"),
	}
}

func TestDKIMKeyFlag(t *testing.T) {
	ed, rsa, keyArgs := dkimKeys(t)
	other, _ := dkimtest.GenerateKey("example.com", "gone", dkimtest.Ed25519)
	rsa2 := *rsa
	rsa2.Selector = "rsa2"
	sends := []string{
		dkimSign(t, bulkMsg, ed),
		strings.Replace(dkimSign(t, bulkMsg, rsa), "Hello Ann.", "Hello Bob.", 1), // changed in transit
		dkimSign(t, bulkMsg, other), // no key
		bulkMsg,                     // unsigned
		dkimSign(t, bulkMsg, &rsa2), // the key given as a private PEM
	}
	for _, mode := range []string{"text", "json"} {
		t.Run(mode, func(t *testing.T) {
			args := append([]string{"-bulk-sender", "-http", "127.0.0.1:0"}, keyArgs...)
			if mode == "json" {
				args = append(args, "-json")
			}
			p := start(t, args...)
			for _, m := range sends {
				if err := p.send("news@example.com", []string{"ann@example.org"}, m); err != nil {
					t.Fatal(err)
				}
			}
			var lines []string
			for range sends {
				for {
					l := p.line()
					if strings.Contains(l, `"event":"message"`) || strings.Contains(l, " message ") {
						lines = append(lines, l)
						break
					}
				}
			}
			if mode == "text" {
				for i, want := range []string{
					"DKIM d=example.com verified (strict)",
					"DKIM d=example.com s=rsa failed: body hash mismatch",
					"DKIM d=example.com s=gone failed: no key: no key registered for gone._domainkey.example.com",
					", no DKIM signature",
					"DKIM d=example.com verified (strict)",
				} {
					if !strings.Contains(lines[i], want) {
						t.Errorf("message %d: %q lacks %q", i+1, lines[i], want)
					}
				}
				if !strings.Contains(lines[3], "dkim/missing") && !strings.Contains(lines[3], "lint problem") {
					t.Errorf("the unsigned message's line has no lint problem: %q", lines[3])
				}
			} else {
				type event struct {
					DKIM     []jsonview.DKIM
					Problems []jsonview.Problem
				}
				wantReason := []string{"", "body-hash", "no-key", "-", ""}
				wantRule := []string{"", "dkim/invalid", "dkim/no-key", "dkim/missing", ""}
				for i, l := range lines {
					var ev event
					if err := json.Unmarshal([]byte(l), &ev); err != nil {
						t.Fatal(err)
					}
					if wantReason[i] == "-" {
						if len(ev.DKIM) != 0 {
							t.Errorf("message %d: dkim %+v", i+1, ev.DKIM)
						}
					} else if len(ev.DKIM) != 1 || ev.DKIM[0].Reason != wantReason[i] || ev.DKIM[0].Verified != (wantReason[i] == "") ||
						ev.DKIM[0].Domain != "example.com" || ev.DKIM[0].Aligned != "strict" || len(ev.DKIM[0].HeaderKeys) == 0 {
						t.Errorf("message %d: dkim %+v", i+1, ev.DKIM)
					}
					var rules []string
					for _, pr := range ev.Problems {
						if strings.HasPrefix(pr.Rule, "dkim/") {
							rules = append(rules, pr.Rule)
						}
					}
					if got := strings.Join(rules, " "); !strings.HasPrefix(got, wantRule[i]) || (wantRule[i] == "" && got != "") {
						t.Errorf("message %d: dkim rules %q, want %q", i+1, got, wantRule[i])
					}
				}
			}
			// The API has the same.
			resp, err := http.Get(p.api + "/api/messages/2")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var d struct{ DKIM []jsonview.DKIM }
			if err := json.Unmarshal(b, &d); err != nil || len(d.DKIM) != 1 || d.DKIM[0].Reason != "body-hash" || d.DKIM[0].Selector != "rsa" {
				t.Errorf("GET /api/messages/2: %s (%v)", b, err)
			}
			if code, _ := p.stop(syscall.SIGTERM); code != 0 {
				t.Errorf("exit %d", code)
			}
		})
	}
}

func TestDKIMRejectMalformed(t *testing.T) {
	ed, _, keyArgs := dkimKeys(t)
	p := start(t, append([]string{"-reject-malformed"}, keyArgs...)...)
	if err := p.send("news@example.com", []string{"ann@example.org"}, dkimSign(t, bulkMsg, ed)); err != nil {
		t.Errorf("signed: %v", err)
	}
	err := p.send("news@example.com", []string{"ann@example.org"}, strings.Replace(dkimSign(t, bulkMsg, ed), "Ann.", "Bob.", 1))
	if err == nil || !strings.Contains(err.Error(), "550") || !strings.Contains(err.Error(), "5.7.1 DKIM-Signature d=example.com s=ed") || !strings.Contains(err.Error(), "does not verify") {
		t.Errorf("changed after signing: %v", err)
	}
}

func TestDKIMKeyFlagErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("v=DKIM1; k=rsa; p=!!!"), 0o600)
	for _, c := range []struct{ arg, want string }{
		{"example.com:s1", "want domain:selector:file"},
		{"example.com:s1:" + filepath.Join(dir, "missing.pem"), "no such file"},
		{"example.com:s1:" + bad, "bad.txt: key for s1._domainkey.example.com: key record p= is not base64"},
		{"exa mple.com:s1:" + bad, "is not a DNS name"},
	} {
		code, stderr := runBad(t, "-dkim-key", c.arg)
		if code != 2 || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "-dkim-key") {
			t.Errorf("-dkim-key %q: exit %d, stderr %q; want exit 2 and %q", c.arg, code, stderr, c.want)
		}
	}
}
