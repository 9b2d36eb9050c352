package smtptest_test

import (
	"encoding/base64"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
	"github.com/smtptest/smtptest"
)

func TestTranscriptMasksAuthSecrets(t *testing.T) {
	srv := smtptest.NewServer(t)
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.write("AUTH PLAIN AHVzZXIAc2VjcmV0cGFzcw==\r\n") // "\0user\0secretpass"
	c.reply()
	tr := srv.Transcript()
	if strings.Contains(tr, "AHVzZXIAc2VjcmV0cGFzcw==") {
		t.Errorf("transcript shows the AUTH secret:\n%s", tr)
	}
	if !strings.Contains(tr, "C: AUTH PLAIN ****") {
		t.Errorf("transcript lacks the masked AUTH line:\n%s", tr)
	}
	for _, r := range srv.Rejections() {
		if strings.Contains(r.Command, "AHVz") {
			t.Errorf("rejection shows the AUTH secret: %+v", r)
		}
	}
}

// AUTH lines may exceed the 2000-byte command limit (RFC 4954 4 allows
// 12288), and a refused AUTH is recorded with its mechanism, secret masked.
func TestAuthLineLimitAndMasking(t *testing.T) {
	srv := smtptest.NewServer(t)
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.write("AUTH PLAIN " + strings.Repeat("QUFB", 1000) + "\r\n") // 4011 bytes: not "line too long"
	if code, text := c.reply(); code == 500 && strings.Contains(text, "too long") {
		t.Errorf("AUTH line of 4011 bytes refused as too long: %d %s", code, text)
	}
	for _, r := range srv.Rejections() {
		if r.Arg != "PLAIN" || r.Command != "AUTH PLAIN ****" {
			t.Errorf("rejection %+v, want Arg PLAIN and the masked command", r)
		}
	}
}

var alice = smtptest.Users(map[string]string{"alice": "s3cret!", "bob": "hunter2"})

func TestRequireAuthAndWrongCredentials(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.RequireAuth(), alice)
	c := dial(t, srv, 220)
	if ehlo := c.cmd("EHLO client.example", 250); !strings.Contains(ehlo, "\nAUTH PLAIN LOGIN") {
		t.Errorf("AUTH not advertised over plain text on loopback:\n%s", ehlo)
	}
	if text := c.cmd("MAIL FROM:<a@example.com>", 530); text != "5.7.0 Authentication required" {
		t.Errorf("MAIL: %q", text)
	}
	plainIR := func(id, user, pass string) string {
		return base64.StdEncoding.EncodeToString([]byte(id + "\x00" + user + "\x00" + pass))
	}
	if text := c.cmd("AUTH PLAIN "+plainIR("", "alice", "wrong"), 535); text != "5.7.8 Authentication credentials invalid" {
		t.Errorf("wrong password: %q", text)
	}
	c.cmd("AUTH PLAIN "+plainIR("", "mallory", "s3cret!"), 535)
	c.cmd("AUTH PLAIN "+plainIR("bob", "alice", "s3cret!"), 535) // acting as another
	c.cmd("AUTH CRAM-MD5", 504)
	// LOGIN without an initial response, step by step; then cancelled.
	if text := c.cmd("AUTH LOGIN", 334); text != "VXNlcm5hbWU6" {
		t.Errorf("first LOGIN challenge %q, want Username:", text)
	}
	c.cmd(base64.StdEncoding.EncodeToString([]byte("alice")), 334)
	c.cmd("*", 501)
	// PLAIN without an initial response.
	c.cmd("AUTH PLAIN", 334)
	c.cmd(plainIR("", "alice", "s3cret!"), 235)
	c.cmd("AUTH PLAIN "+plainIR("", "alice", "s3cret!"), 503) // once per session
	c.transaction("a@example.com", []string{"b@example.org"}, simpleMsg)

	var got []string
	for _, r := range srv.Rejections() {
		got = append(got, r.String())
	}
	want := []string{
		"MAIL a@example.com: 530 5.7.0 Authentication required",
		"AUTH PLAIN: 535 5.7.8 Authentication credentials invalid",
		"AUTH PLAIN: 535 5.7.8 Authentication credentials invalid",
		"AUTH PLAIN: 535 5.7.8 Authorization identity must be the user name",
		"AUTH CRAM-MD5: 504 5.7.4 Unsupported authentication mechanism",
		"AUTH LOGIN: 501 5.0.0 Negotiation cancelled",
		"AUTH PLAIN: 503 5.5.1 Already authenticated",
	}
	if !slices.Equal(got, want) {
		t.Errorf("rejections:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if srv.Messages()[0].AuthUser != "alice" {
		t.Errorf("AuthUser = %q", srv.Messages()[0].AuthUser)
	}
	if tr := srv.Transcript(); strings.Contains(tr, plainIR("", "alice", "s3cret!")) || strings.Contains(tr, "s3cret") {
		t.Errorf("transcript shows a secret:\n%s", tr)
	}
}

func TestOverlongSASLLineCancelsTheExchange(t *testing.T) {
	srv := smtptest.NewServer(t, alice)
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.cmd("AUTH LOGIN", 334)
	c.cmd(strings.Repeat("A", 20000), 501) // past RFC 4954's 12288: go-smtp is told "*"
	c.cmd("NOOP", 250)
	if r := srv.Rejections(); len(r) != 1 || r[0].Stage != smtptest.StageAuth || r[0].Arg != "LOGIN" || r[0].Command != "AUTH LOGIN" {
		t.Errorf("Rejections() = %+v", r)
	}
	if strings.Contains(srv.Transcript(), "AAAAAAAA") {
		t.Error("the transcript shows the SASL line")
	}
}

func TestAuthRequiresTLS(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.StartTLS(), smtptest.AuthRequiresTLS(), alice)
	c := dial(t, srv, 220)
	if ehlo := c.cmd("EHLO client.example", 250); strings.Contains(ehlo, "AUTH") {
		t.Errorf("AUTH advertised before TLS:\n%s", ehlo)
	}
	if text := c.cmd("AUTH PLAIN AGFsaWNlAHMzY3JldCE=", 538); text != "5.7.11 Encryption required for requested authentication mechanism" {
		t.Errorf("AUTH over plain text: %q", text)
	}
	c.cmd("MAIL FROM:<a@example.com>", 250) // mail itself is allowed
	c.cmd("RSET", 250)
	c.startTLS(srv.ClientTLSConfig())
	c.cmd("EHLO client.example", 250)
	c.cmd("AUTH PLAIN AGFsaWNlAHMzY3JldCE=", 235)
}

// The secret of the masking tests, and the forms a client sends it in.
const maskPassword = "Tr0ub4dor&3"

var (
	maskPlain = base64.StdEncoding.EncodeToString([]byte("\x00alice\x00" + maskPassword))
	maskUser  = base64.StdEncoding.EncodeToString([]byte("alice"))
	maskPass  = base64.StdEncoding.EncodeToString([]byte(maskPassword))
)

// secretsIn returns the forms of the secret found in s.
func secretsIn(s string) []string {
	var found []string
	for _, secret := range []string{maskPassword, maskPlain, maskPass, maskPlain[:16], maskPass[:12]} {
		if strings.Contains(s, secret) {
			found = append(found, secret)
		}
	}
	return found
}

// TestAuthSecretsNeverShown sends AUTH secrets in every unusual way a
// client may (tabs, lower case, no separator, pipelined after an AUTH that
// is refused at each stage, over-long lines) and checks that neither the
// password nor its base64 forms appear in the transcript, the rejections
// or the events.
func TestAuthSecretsNeverShown(t *testing.T) {
	users := smtptest.Users(map[string]string{"alice": maskPassword})
	ehlo := "EHLO client.example\r\n"
	for _, tc := range []struct {
		name   string
		opts   []smtptest.Option
		script string // sent in one write, then QUIT
	}{
		{"tab separated", nil, ehlo + "AUTH\tPLAIN\t" + maskPlain + "\r\n"},
		{"tab separated before EHLO", nil, "AUTH\tPLAIN\t" + maskPlain + "\r\n"},
		{"tab then space", nil, ehlo + "AUTH\tPLAIN " + maskPlain + "\r\n"},
		{"vertical tab", nil, ehlo + "AUTH\vPLAIN\v" + maskPlain + "\r\n"},
		{"lower case", nil, ehlo + "auth plain " + maskPlain + "\r\n"},
		{"spaces", nil, ehlo + "AUTH   PLAIN    " + maskPlain + "  \r\n"},
		{"no separator", nil, ehlo + "AUTHPLAIN " + maskPlain + "\r\n"},
		{"no separators at all", nil, ehlo + "AUTH" + maskPlain + "\r\n"},
		{"mechanism glued", nil, ehlo + "AUTH PLAIN=" + maskPlain + "\r\n"},
		{"raw password", nil, ehlo + "AUTH PLAIN " + maskPassword + "\r\n"},
		{"bare LF", nil, ehlo + "AUTH PLAIN " + maskPlain + "\n"},
		{"pipelined before EHLO", nil, "AUTH PLAIN\r\n" + maskPlain + "\r\n"},
		{"LOGIN pipelined before EHLO", nil, "AUTH LOGIN\r\n" + maskUser + "\r\n" + maskPass + "\r\n"},
		{"pipelined, unknown mechanism", nil, ehlo + "AUTH FOO\r\n" + maskPlain + "\r\n"},
		{"initial response, unknown mechanism", nil, ehlo + "AUTH FOO " + maskPlain + "\r\n"},
		{"pipelined after success", nil, ehlo + "AUTH PLAIN " + maskPlain + "\r\nAUTH PLAIN\r\n" + maskPlain + "\r\n"},
		{"again after success", nil, ehlo + "AUTH PLAIN " + maskPlain + "\r\nAUTH PLAIN " + maskPlain + "\r\n"},
		{"LOGIN pipelined after success", nil, ehlo + "AUTH PLAIN " + maskPlain + "\r\nAUTH LOGIN\r\n" + maskUser + "\r\n" + maskPass + "\r\n"},
		{"wrong password", nil, ehlo + "AUTH LOGIN " + maskUser + "\r\n" + base64.StdEncoding.EncodeToString([]byte(maskPassword+"x")) + "\r\n" + maskPass + "\r\n"},
		{"interactive PLAIN", nil, ehlo + "AUTH PLAIN\r\n" + maskPlain + "\r\n"},
		{"refused by AuthRequiresTLS", []smtptest.Option{smtptest.AuthRequiresTLS()}, ehlo + "AUTH LOGIN\r\n" + maskUser + "\r\n" + maskPass + "\r\n"},
		{"refused by RequireTLS", []smtptest.Option{smtptest.RequireTLS()}, ehlo + "AUTH PLAIN\r\n" + maskPlain + "\r\nAUTH PLAIN " + maskPlain + "\r\n"},
		{"refused by a fault", []smtptest.Option{smtptest.Fault{Stage: smtptest.StageAuth, Reply: &gosmtp.SMTPError{Code: 454, Message: "Try later"}}},
			ehlo + "AUTH PLAIN\r\n" + maskPlain + "\r\nAUTH PLAIN " + maskPlain + "\r\n"},
		{"dropped by a fault", []smtptest.Option{smtptest.Fault{Stage: smtptest.StageAuth, Drop: true}}, ehlo + "AUTH PLAIN " + maskPlain + "\r\n"},
		{"refused by the Authenticate hook", []smtptest.Option{smtptest.Hooks{Authenticate: func(mech, user, pass string) error {
			return &gosmtp.SMTPError{Code: 535, EnhancedCode: gosmtp.EnhancedCode{5, 7, 8}, Message: "No"}
		}}}, ehlo + "AUTH PLAIN " + maskPlain + "\r\n" + maskPlain + "\r\n"},
		{"over-long initial response", nil, ehlo + "AUTH PLAIN " + maskPlain + strings.Repeat("A", 13000) + "\r\n"},
		{"over-long tab separated", nil, ehlo + "AUTH\tPLAIN\t" + maskPlain + strings.Repeat("A", 3000) + "\r\n"},
		{"over-long pipelined response", nil, "AUTH PLAIN\r\n" + maskPlain + strings.Repeat("A", 13000) + "\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var (
				mu     sync.Mutex
				events []string
			)
			opts := append([]smtptest.Option{users, smtptest.OnEvent(func(ev smtptest.Event) {
				mu.Lock()
				events = append(events, fmt.Sprintf("%+v", ev))
				mu.Unlock()
			})}, tc.opts...)
			srv := smtptest.NewServer(t, opts...)
			c := connect(t, srv)
			c.write(tc.script + "QUIT\r\n")
			c.nc.SetReadDeadline(time.Now().Add(ioBound))
			replies, err := io.ReadAll(c.r) // until the server closes
			if err != nil {
				t.Fatalf("reading the replies: %v", err)
			}
			srv.Close() // every event delivered

			mu.Lock()
			defer mu.Unlock()
			for what, text := range map[string]string{
				"transcript": srv.Transcript(),
				"rejections": fmt.Sprintf("%+v %v", srv.Rejections(), srv.Rejections()),
				"events":     strings.Join(events, "\n"),
				"replies":    string(replies),
			} {
				if found := secretsIn(text); found != nil {
					t.Errorf("the %s show the secret (%q):\n%s", what, found, text)
				}
			}
			if !strings.Contains(srv.Transcript(), "****") {
				t.Errorf("nothing masked in the transcript:\n%s", srv.Transcript())
			}
		})
	}
}

// TestAuthMaskKeepsWhatIsNotSecret checks that masking leaves the verb and
// the mechanism readable, and the commands after an AUTH exchange too.
func TestAuthMaskKeepsWhatIsNotSecret(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.Users(map[string]string{"alice": maskPassword}))
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.cmd("AUTH\tPLAIN\t"+maskPlain, 501)
	c.cmd("AUTH PLAIN "+maskPlain, 235)
	c.cmd("MAIL FROM:<alice@example.com>", 250)
	c.cmd("RCPT TO:<bob@example.org>", 250)
	c.cmd("QUIT", 221)
	srv.Close()
	tr := srv.Transcript()
	for _, want := range []string{`C: AUTH\tPLAIN ****`, "C: AUTH PLAIN ****", "C: MAIL FROM:<alice@example.com>", "C: RCPT TO:<bob@example.org>"} {
		if !strings.Contains(tr, want) {
			t.Errorf("transcript lacks %q:\n%s", want, tr)
		}
	}
}
