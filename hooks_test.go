package smtptest_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"net/smtp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-message"
	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"
	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/internal/tbtest"
)

func TestHookReplies(t *testing.T) {
	tempFail := &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 7, 1}, Message: "try again later"}
	tests := []struct {
		name      string
		hooks     smtptest.Hooks
		stage     smtptest.Stage
		wantCode  int
		wantText  string
		recipient string // RCPT address to use
	}{
		{
			name:     "sender plain error",
			hooks:    smtptest.Hooks{ValidateSender: func(string) error { return errors.New("no mail from you") }},
			stage:    smtptest.StageMail,
			wantCode: 550, wantText: "5.7.1 no mail from you",
		},
		{
			name:     "sender SMTPError as it is",
			hooks:    smtptest.Hooks{ValidateSender: func(string) error { return tempFail }},
			stage:    smtptest.StageMail,
			wantCode: 451, wantText: "4.7.1 try again later",
		},
		{
			name:     "sender wrapped SMTPError keeps its code",
			hooks:    smtptest.Hooks{ValidateSender: func(string) error { return fmt.Errorf("policy: %w", tempFail) }},
			stage:    smtptest.StageMail,
			wantCode: 451, wantText: "4.7.1 try again later",
		},
		{
			name:     "recipient plain error",
			hooks:    smtptest.Hooks{ValidateRecipient: func(string) error { return errors.New("no such user") }},
			stage:    smtptest.StageRcpt,
			wantCode: 550, wantText: "5.1.1 no such user",
		},
		{
			name:     "recipient error text not ASCII",
			hooks:    smtptest.Hooks{ValidateRecipient: func(string) error { return errors.New("boîte pleine \xff") }},
			stage:    smtptest.StageRcpt,
			wantCode: 550, wantText: "5.1.1 bo?te pleine ?",
		},
		{
			name:     "recipient SMTPError without enhanced code",
			hooks:    smtptest.Hooks{ValidateRecipient: func(string) error { return &gosmtp.SMTPError{Code: 552, Message: "mailbox full"} }},
			stage:    smtptest.StageRcpt,
			wantCode: 552, wantText: "5.0.0 mailbox full",
		},
		{
			name:     "deliver plain error",
			hooks:    smtptest.Hooks{Deliver: func(*smtptest.Message) error { return errors.New("disk on fire") }},
			stage:    smtptest.StageEndOfData,
			wantCode: 554, wantText: "5.0.0 disk on fire",
		},
		{
			name:     "deliver temporary",
			hooks:    smtptest.Hooks{Deliver: func(*smtptest.Message) error { return tempFail }},
			stage:    smtptest.StageEndOfData,
			wantCode: 451, wantText: "4.7.1 try again later",
		},
		{
			name:     "deliverMIME plain error",
			hooks:    smtptest.Hooks{DeliverMIME: func(smtptest.Envelope, *message.Entity) error { return errors.New("bad mime") }},
			stage:    smtptest.StageEndOfData,
			wantCode: 554, wantText: "5.0.0 bad mime",
		},
		{
			name:     "error text with CR LF is made safe",
			hooks:    smtptest.Hooks{Deliver: func(*smtptest.Message) error { return errors.New("line one\r\nline two") }},
			stage:    smtptest.StageEndOfData,
			wantCode: 554, wantText: "line one \n5.0.0 line two",
		},
		{
			name:     "empty error text gets a default",
			hooks:    smtptest.Hooks{ValidateRecipient: func(string) error { return errors.New("") }},
			stage:    smtptest.StageRcpt,
			wantCode: 550, wantText: "5.1.1 Recipient refused",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.NewServer(t, tt.hooks)
			c := dial(t, srv, 220)
			c.cmd("EHLO client.example", 250)
			code, text := func() (int, string) {
				c.write("MAIL FROM:<alice@example.com>\r\n")
				if code, text := c.reply(); tt.stage == smtptest.StageMail {
					return code, text
				} else if code != 250 {
					t.Fatalf("MAIL: %d %s", code, text)
				}
				c.write("RCPT TO:<bob@example.org>\r\n")
				if code, text := c.reply(); tt.stage == smtptest.StageRcpt {
					return code, text
				} else if code != 250 {
					t.Fatalf("RCPT: %d %s", code, text)
				}
				c.cmd("DATA", 354)
				c.write(simpleMsg + ".\r\n")
				return c.reply()
			}()
			if code != tt.wantCode || text != tt.wantText {
				t.Errorf("reply %d %q, want %d %q", code, text, tt.wantCode, tt.wantText)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("%d messages recorded after a refusal", n)
			}
			rejs := srv.Rejections()
			if len(rejs) != 1 || rejs[0].Stage != tt.stage || rejs[0].Reply.Code != tt.wantCode {
				t.Errorf("Rejections() = %v, want one at %v with code %d", rejs, tt.stage, tt.wantCode)
			}
			// The session goes on: the client may try again.
			c.cmd("RSET", 250)
			c.cmd("QUIT", 221)
		})
	}
}

func TestOneRecipientRefusedOthersDelivered(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.Hooks{
		ValidateRecipient: func(to string) error {
			if strings.HasPrefix(to, "nobody@") {
				return errors.New("unknown user")
			}
			return nil
		},
	})
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.cmd("MAIL FROM:<alice@example.com>", 250)
	c.cmd("RCPT TO:<nobody@example.org>", 550)
	c.cmd("RCPT TO:<carol@example.org>", 250)
	c.cmd("DATA", 354)
	c.write(simpleMsg + ".\r\n")
	c.expect(250)

	if got := srv.Messages()[0].To; !slices.Equal(got, []string{"carol@example.org"}) {
		t.Errorf("To = %q, want only the accepted recipient", got)
	}
	want := []smtptest.Rejection{{
		Stage:   smtptest.StageRcpt,
		Arg:     "nobody@example.org",
		Command: "RCPT TO:<nobody@example.org>",
		Reply:   gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "unknown user"},
	}}
	if diff := cmp.Diff(want, srv.Rejections(), ignoreRejectionSession); diff != "" {
		t.Errorf("Rejections() mismatch (-want +got):\n%s", diff)
	}
}

func TestValidateHostRefusesLikeTcllib(t *testing.T) {
	var got []netip.Addr
	var mu sync.Mutex
	srv := smtptest.NewServer(t, smtptest.Hooks{
		ValidateHost: func(remote netip.Addr) error {
			mu.Lock()
			got = append(got, remote)
			mu.Unlock()
			return fmt.Errorf("host %s is not welcome", remote)
		},
	})
	c := dial(t, srv, 554)
	for _, cmd := range []string{"EHLO client.example", "HELO client.example", "MAIL FROM:<a@example.com>", "RCPT TO:<b@example.org>", "DATA", "RSET", "NOOP", "HELP", "VRFY bob"} {
		c.cmd(cmd, 503)
	}
	c.cmd("XYZZY plugh", 500)
	c.cmd("QUIT", 221)
	c.expectClosed()

	if !slices.Equal(got, []netip.Addr{netip.MustParseAddr("127.0.0.1")}) {
		t.Errorf("ValidateHost called with %v, want [127.0.0.1]", got)
	}
	rejs := srv.Rejections()
	if len(rejs) != 11 {
		t.Fatalf("got %d rejections, want 11 (greeting, 9 x 503, 500): %v", len(rejs), rejs)
	}
	if r := rejs[0]; r.Stage != smtptest.StageConnect || r.Reply.Code != 554 || r.Reply.Message != "host 127.0.0.1 is not welcome" || r.Arg != "" {
		t.Errorf("first rejection = %+v, want the 554 greeting", r)
	}
	if r := rejs[3]; r.Stage != smtptest.StageMail || r.Arg != "a@example.com" || r.Reply.Code != 503 {
		t.Errorf("MAIL rejection = %+v", r)
	}

	// net/smtp sees the refusal as an error with the code.
	err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte(simpleMsg))
	if smtpCode(err) != 554 {
		t.Errorf("SendMail error = %v, want the 554 greeting", err)
	}
}

func TestValidateHost421ClosesTheConnection(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.Hooks{
		ValidateHost: func(netip.Addr) error {
			return &gosmtp.SMTPError{Code: 421, EnhancedCode: gosmtp.EnhancedCode{4, 3, 2}, Message: "too busy"}
		},
	})
	c := dial(t, srv, 421)
	c.expectClosed()
}

func TestHook421ClosesTheConnection(t *testing.T) {
	shutdown := &gosmtp.SMTPError{Code: 421, EnhancedCode: gosmtp.EnhancedCode{4, 3, 2}, Message: "going down"}
	for _, tt := range []struct {
		name  string
		hooks smtptest.Hooks
	}{
		{"ValidateSender", smtptest.Hooks{ValidateSender: func(string) error { return shutdown }}},
		{"ValidateRecipient", smtptest.Hooks{ValidateRecipient: func(string) error { return shutdown }}},
		{"Deliver", smtptest.Hooks{Deliver: func(*smtptest.Message) error { return shutdown }}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.NewServer(t, tt.hooks)
			c := dial(t, srv, 220)
			c.cmd("EHLO client.example", 250)
			c.write("MAIL FROM:<a@example.com>\r\n")
			code, _ := c.reply()
			if code == 250 {
				c.write("RCPT TO:<b@example.org>\r\n")
				if code, _ = c.reply(); code == 250 {
					c.cmd("DATA", 354)
					c.write(simpleMsg + ".\r\n")
					code, _ = c.reply()
				}
			}
			if code != 421 {
				t.Fatalf("got %d, want 421", code)
			}
			c.expectClosed()
			if r := srv.Rejections(); len(r) != 1 || r[0].Reply.Code != 421 {
				t.Errorf("Rejections() = %v", r)
			}
		})
	}
}

func TestValidateHostAcceptsPerAddress(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.Hooks{
		ValidateHost: func(remote netip.Addr) error {
			if remote.IsLoopback() {
				return nil
			}
			return errors.New("not loopback")
		},
	})
	sendMail(t, srv, "a@example.com", []string{"b@example.org"}, simpleMsg)
	if len(srv.Messages()) != 1 {
		t.Fatal("message from an accepted host not recorded")
	}
}

func TestDeliverRunsBeforeDeliverMIMEAndFirstErrorRefuses(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	call := func(s string) {
		mu.Lock()
		calls = append(calls, s)
		mu.Unlock()
	}
	srv := smtptest.NewServer(t, smtptest.Hooks{
		Deliver: func(m *smtptest.Message) error {
			call("Deliver")
			if bytes.Contains(m.Data, []byte("FAIL")) {
				return errors.New("deliver refused")
			}
			return nil
		},
		DeliverMIME: func(env smtptest.Envelope, e *message.Entity) error {
			call("DeliverMIME " + e.Header.Get("Subject") + " " + env.From + " " + strings.Join(env.To, ","))
			body, err := io.ReadAll(e.Body)
			if err != nil {
				return err
			}
			if string(body) != "café\r\n" {
				return fmt.Errorf("body %q, want it decoded from latin-1", body)
			}
			return nil
		},
	})
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.transaction("a@example.com", []string{"b@example.org"}, "Subject: ok\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9\r\n")
	c.cmd("MAIL FROM:<a@example.com>", 250)
	c.cmd("RCPT TO:<b@example.org>", 250)
	c.cmd("DATA", 354)
	c.write("Subject: FAIL\r\n\r\nbody\r\n.\r\n")
	c.expect(554)

	want := []string{"Deliver", "DeliverMIME ok a@example.com b@example.org", "Deliver"}
	if !slices.Equal(calls, want) {
		t.Errorf("hook calls = %q, want %q", calls, want)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages recorded, want only the accepted one", n)
	}
}

func TestDeliverMIMEUnparseableMessage(t *testing.T) {
	const broken = "this is not a header\r\n\r\nbody\r\n"
	called := false
	srv := smtptest.NewServer(t, smtptest.Hooks{
		DeliverMIME: func(smtptest.Envelope, *message.Entity) error { called = true; return nil },
	})
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.cmd("MAIL FROM:<a@example.com>", 250)
	c.cmd("RCPT TO:<b@example.org>", 250)
	c.cmd("DATA", 354)
	c.write(broken + ".\r\n")
	if text := c.expect(554); !strings.HasPrefix(text, "5.6.0 ") {
		t.Errorf("reply text %q, want enhanced code 5.6.0", text)
	}
	if called || len(srv.Messages()) != 0 {
		t.Errorf("DeliverMIME called = %v, %d recorded; want neither", called, len(srv.Messages()))
	}

	// Without DeliverMIME the same bytes are recorded as they came, and the
	// accessors return errors.
	plain := smtptest.NewServer(t)
	c = dial(t, plain, 220)
	c.cmd("EHLO client.example", 250)
	c.transaction("a@example.com", []string{"b@example.org"}, broken)
	m := plain.Messages()[0]
	if string(m.Data) != broken {
		t.Errorf("Data = %q, want %q", m.Data, broken)
	}
	if _, err := m.Subject(); err == nil {
		t.Error("Subject() of a malformed message returned no error")
	}
	if _, err := m.TextBody(); err == nil {
		t.Error("TextBody() of a malformed message returned no error")
	}
}

func TestDeliverMIMEUnknownCharsetStillGetsEntity(t *testing.T) {
	var got string
	srv := smtptest.NewServer(t, smtptest.Hooks{
		DeliverMIME: func(_ smtptest.Envelope, e *message.Entity) error {
			b, err := io.ReadAll(e.Body)
			got = string(b)
			return err
		},
	})
	sendMail(t, srv, "a@example.com", []string{"b@example.org"}, "Subject: x\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n\r\nraw bytes\r\n")
	if got != "raw bytes\r\n" {
		t.Errorf("DeliverMIME read %q, want the undecoded body", got)
	}
}

func TestHookBugsFailTheTest(t *testing.T) {
	tests := []struct {
		name  string
		hooks smtptest.Hooks
		want  string
	}{
		{"2xx reply", smtptest.Hooks{ValidateRecipient: func(string) error { return &gosmtp.SMTPError{Code: 250, Message: "ok?"} }}, "ValidateRecipient hook returned reply 250"},
		{"3xx reply", smtptest.Hooks{ValidateSender: func(string) error { return &gosmtp.SMTPError{Code: 354, Message: "go on"} }}, "ValidateSender hook returned reply 354"},
		{"panic", smtptest.Hooks{ValidateRecipient: func(string) error { panic("boom") }}, "ValidateRecipient hook panicked on conn 1: boom"},
		{"panic in Deliver", smtptest.Hooks{Deliver: func(*smtptest.Message) error { panic("boom") }}, "Deliver hook panicked on conn 1: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var srv *smtptest.Server
			tb := tbtest.Run(t, func(tb *tbtest.TB) {
				srv = smtptest.NewServer(tb, tt.hooks)
				err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte(simpleMsg))
				if code := smtpCode(err); code != 451 {
					t.Errorf("SendMail error %v, want 451", err)
				}
			})
			if !strings.Contains(tb.Text(), tt.want) || len(tb.Errors()) == 0 {
				t.Errorf("test output:\n%s\nwant an error containing %q", tb.Text(), tt.want)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("%d messages recorded", n)
			}
		})
	}
}

func TestAuthenticateHook(t *testing.T) {
	var calls atomic.Int32
	srv := smtptest.NewServer(t, smtptest.Hooks{
		Authenticate: func(mech, user, pass string) error {
			if calls.Add(1) == 3 {
				return errors.New("third attempt fails")
			}
			if user == "anyone" {
				return nil // any password
			}
			return &gosmtp.SMTPError{Code: 454, EnhancedCode: gosmtp.EnhancedCode{4, 7, 0}, Message: "auth backend down"}
		},
	})
	try := func(user, pass string) error {
		c, err := gosmtp.Dial(srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.Auth(sasl.NewPlainClient("", user, pass))
	}
	if err := try("anyone", "whatever"); err != nil {
		t.Errorf("first: %v", err)
	}
	var se *gosmtp.SMTPError
	if err := try("other", "x"); !errors.As(err, &se) || se.Code != 454 || !se.Temporary() {
		t.Errorf("second: %v, want the hook's 454", err)
	}
	if err := try("anyone", "x"); !errors.As(err, &se) || se.Code != 535 || se.Message != "third attempt fails" {
		t.Errorf("third: %v, want 535 with the hook's text", err)
	}
	if calls.Load() != 3 {
		t.Errorf("hook called %d times", calls.Load())
	}
}

// ignoreRejectionSession leaves out the fields that vary from run to run.
var ignoreRejectionSession = cmp.FilterPath(func(p cmp.Path) bool {
	switch p.Last().String() {
	case ".Remote", ".ConnID", ".Time":
		return true
	}
	return false
}, cmp.Ignore())
