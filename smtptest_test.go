package smtptest_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"net/smtp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message"
	gosmtp "github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/internal/tbtest"
)

const simpleMsg = "From: Alice <alice@example.com>\r\nTo: Bob <bob@example.org>\r\nSubject: Hello\r\n\r\nHi Bob.\r\n"

func TestListensOnLoopbackWithSystemPort(t *testing.T) {
	a := smtptest.NewServer(t)
	b := smtptest.NewServer(t)
	for _, srv := range []*smtptest.Server{a, b} {
		ap, err := netip.ParseAddrPort(srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		if ap.Addr() != netip.MustParseAddr("127.0.0.1") || ap.Port() == 0 {
			t.Errorf("Addr() = %s, want 127.0.0.1 with a port", srv.Addr())
		}
	}
	if a.Addr() == b.Addr() {
		t.Errorf("two servers share the address %s", a.Addr())
	}
}

func TestListenAddrIPv6Loopback(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback on this machine: %v", err) // the machine, not the feature
	}
	ln.Close()
	srv := smtptest.NewServer(t, smtptest.ListenAddr("[::1]:0"))
	if !strings.HasPrefix(srv.Addr(), "[::1]:") {
		t.Fatalf("Addr() = %s, want [::1]:port", srv.Addr())
	}
	sendMail(t, srv, "a@example.com", []string{"b@example.org"}, simpleMsg)
	if got := srv.Messages()[0].Remote.Addr(); got != netip.IPv6Loopback() {
		t.Errorf("Remote = %v, want ::1", got)
	}
}

func TestRecordsEnvelopeDataAndSessionFacts(t *testing.T) {
	srv := smtptest.NewServer(t)
	before := time.Now()
	sendMail(t, srv, "alice@example.com", []string{"bob@example.org", "carol@example.org"}, simpleMsg)
	after := time.Now()

	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if diff := cmp.Diff(smtptest.Envelope{From: "alice@example.com", To: []string{"bob@example.org", "carol@example.org"}}, m.Envelope); diff != "" {
		t.Errorf("envelope mismatch (-want +got):\n%s", diff)
	}
	if string(m.Data) != simpleMsg {
		t.Errorf("Data = %q, want %q", m.Data, simpleMsg)
	}
	if m.Helo != "localhost" { // net/smtp says EHLO localhost
		t.Errorf("Helo = %q, want localhost", m.Helo)
	}
	if m.Remote.Addr() != netip.MustParseAddr("127.0.0.1") || m.Remote.Port() == 0 {
		t.Errorf("Remote = %v, want 127.0.0.1:port", m.Remote)
	}
	if m.TLS != nil || m.AuthUser != "" {
		t.Errorf("TLS = %v, AuthUser = %q; want neither", m.TLS, m.AuthUser)
	}
	if m.MailOptions.Body != gosmtp.Body8BitMIME || !m.MailOptions.UTF8 {
		t.Errorf("MailOptions = %+v, want BODY=8BITMIME and SMTPUTF8 (net/smtp sends both)", m.MailOptions)
	}
	if m.RcptOptions != nil {
		t.Errorf("RcptOptions = %v, want nil: no recipient had parameters", m.RcptOptions)
	}
	if m.ConnID != 1 {
		t.Errorf("ConnID = %d, want 1", m.ConnID)
	}
	if m.Received.Before(before) || m.Received.After(after) {
		t.Errorf("Received = %v, not between %v and %v", m.Received, before, after)
	}
}

func TestMailParametersRecorded(t *testing.T) {
	srv := smtptest.NewServer(t)
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.cmd("MAIL FROM:<alice@example.com> SIZE=100 BODY=7BIT RET=HDRS ENVID=abc+2Bdef", 250)
	c.cmd("RCPT TO:<ann@example.org>", 250)
	c.cmd("RCPT TO:<bob@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.org", 250)
	c.cmd("DATA", 354)
	c.write(simpleMsg + ".\r\n")
	c.expect(250)

	m := srv.Messages()[0]
	want := gosmtp.MailOptions{Size: 100, Body: gosmtp.Body7Bit, Return: gosmtp.DSNReturnHeaders, EnvelopeID: "abc+def"}
	if diff := cmp.Diff(want, m.MailOptions); diff != "" {
		t.Errorf("MailOptions mismatch (-want +got):\n%s", diff)
	}
	wantRcpt := []gosmtp.RcptOptions{{}, { // ann had none; bob's
		Notify:                []gosmtp.DSNNotify{gosmtp.DSNNotifySuccess, gosmtp.DSNNotifyFailure},
		OriginalRecipientType: gosmtp.DSNAddressTypeRFC822,
		OriginalRecipient:     "bob@example.org",
	}}
	if diff := cmp.Diff(wantRcpt, m.RcptOptions); diff != "" {
		t.Errorf("RcptOptions mismatch (-want +got):\n%s", diff)
	}
	if m.Helo != "client.example" {
		t.Errorf("Helo = %q, want client.example", m.Helo)
	}
}

// Guarantee 1: a message is in the record before the client reads the 250
// to its final dot. Checked right after each 250, with no waiting.
func TestRecordedBeforeAcknowledged(t *testing.T) {
	srv := smtptest.NewServer(t)
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	for i := range 200 {
		c.transaction("a@example.com", []string{"b@example.org"}, fmt.Sprintf("Subject: %d\r\n\r\nbody %d\r\n", i, i))
		if n := len(srv.Messages()); n != i+1 {
			t.Fatalf("after the 250 for message %d, Messages() has %d", i+1, n)
		}
	}
	// BDAT too: go-smtp runs Data on a goroutine of its own there.
	for i := range 50 {
		c.cmd("MAIL FROM:<a@example.com>", 250)
		c.cmd("RCPT TO:<b@example.org>", 250)
		body := fmt.Sprintf("Subject: bdat %d\r\n\r\nbody\r\n", i)
		c.write(fmt.Sprintf("BDAT %d LAST\r\n%s", len(body), body))
		c.expect(250)
		if n := len(srv.Messages()); n != 201+i {
			t.Fatalf("after the 250 for BDAT message %d, Messages() has %d", i+1, n)
		}
	}
}

func TestMessagesIsASnapshotCallersCannotChange(t *testing.T) {
	srv := smtptest.NewServer(t)
	sendMail(t, srv, "alice@example.com", []string{"bob@example.org"}, simpleMsg)
	first := srv.Messages()
	first[0].Data[0] = 'X'
	first[0].To[0] = "mallory@example.net"
	first[0].From = "mallory@example.net"
	first[0] = nil

	sendMail(t, srv, "alice@example.com", []string{"carol@example.org"}, simpleMsg)
	if len(first) != 1 {
		t.Errorf("an earlier snapshot grew to %d messages", len(first))
	}
	again := srv.Messages()
	if len(again) != 2 || again[0] == nil {
		t.Fatalf("record changed through a snapshot: %v", again)
	}
	if string(again[0].Data) != simpleMsg || again[0].To[0] != "bob@example.org" || again[0].From != "alice@example.com" {
		t.Errorf("record changed through a snapshot: %+v", again[0])
	}

	rejs := func() []smtptest.Rejection { return srv.Rejections() }
	c := dial(t, srv, 220)
	c.cmd("EHLO x", 250)
	c.cmd("RCPT TO:<a@b>", 503)
	r := rejs()
	r[0].Arg = "changed"
	if rejs()[0].Arg == "changed" {
		t.Error("Rejections() returned the server's own slice")
	}
}

func TestNullSender(t *testing.T) {
	var got []string
	var mu sync.Mutex
	srv := smtptest.NewServer(t, smtptest.Hooks{
		ValidateSender: func(from string) error {
			mu.Lock()
			got = append(got, from)
			mu.Unlock()
			return nil
		},
	})
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.transaction("", []string{"bob@example.org"}, simpleMsg)
	if m := srv.Messages()[0]; m.From != "" {
		t.Errorf("From = %q, want \"\" for <>", m.From)
	}
	if !slices.Equal(got, []string{""}) {
		t.Errorf("ValidateSender called with %q, want [\"\"]", got)
	}
}

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

// ignoreRejectionSession leaves out the fields that vary from run to run.
var ignoreRejectionSession = cmp.FilterPath(func(p cmp.Path) bool {
	switch p.Last().String() {
	case ".Remote", ".ConnID", ".Time":
		return true
	}
	return false
}, cmp.Ignore())

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

func TestSizeCap(t *testing.T) {
	const capBytes = 1000
	srv := smtptest.NewServer(t, smtptest.MaxMessageBytes(capBytes))
	c := dial(t, srv, 220)
	if ehlo := c.cmd("EHLO client.example", 250); !strings.Contains(ehlo, "\nSIZE 1000\n") {
		t.Errorf("EHLO reply does not advertise SIZE 1000:\n%s", ehlo)
	}
	body := func(n int) string { // n bytes, CRLF lines
		line := strings.Repeat("x", 98) + "\r\n"
		return strings.Repeat(line, n/100) + strings.Repeat("y", n%100)
	}
	exact, over := body(capBytes-2)+"\r\n", body(capBytes-1)+"\r\n"

	// DATA: exactly the cap is accepted, one byte more refused.
	c.transaction("a@example.com", []string{"b@example.org"}, exact)
	c.cmd("MAIL FROM:<a@example.com>", 250)
	c.cmd("RCPT TO:<b@example.org>", 250)
	c.cmd("DATA", 354)
	c.write(over + ".\r\n")
	if text := c.expect(552); !strings.HasPrefix(text, "5.3.4 ") {
		t.Errorf("over the cap: %q, want 552 5.3.4", text)
	}

	// BDAT alike.
	for _, tc := range []struct {
		data string
		want int
	}{{exact, 250}, {over, 552}} {
		c.cmd("MAIL FROM:<a@example.com>", 250)
		c.cmd("RCPT TO:<b@example.org>", 250)
		c.write(fmt.Sprintf("BDAT %d LAST\r\n%s", len(tc.data), tc.data))
		c.expect(tc.want)
	}
	// In two chunks, the second one crossing the cap.
	c.cmd("MAIL FROM:<a@example.com>", 250)
	c.cmd("RCPT TO:<b@example.org>", 250)
	c.write(fmt.Sprintf("BDAT 600\r\n%s", over[:600]))
	c.expect(250)
	c.write(fmt.Sprintf("BDAT %d LAST\r\n%s", len(over)-600, over[600:]))
	c.expect(552)

	// SIZE= above the cap is refused at MAIL; at the cap it is fine.
	c.cmd("MAIL FROM:<a@example.com> SIZE=1001", 552)
	c.cmd("MAIL FROM:<a@example.com> SIZE=1000", 250)
	c.cmd("RSET", 250)

	msgs := srv.Messages()
	if len(msgs) != 2 {
		t.Fatalf("recorded %d messages, want the two at the cap", len(msgs))
	}
	for _, m := range msgs {
		if string(m.Data) != exact {
			t.Errorf("recorded %d bytes, want the %d-byte message", len(m.Data), len(exact))
		}
	}
	var codes []int
	for _, r := range srv.Rejections() {
		codes = append(codes, r.Reply.Code)
	}
	if !slices.Equal(codes, []int{552, 552, 552, 552}) {
		t.Errorf("rejection codes = %v, want four 552s", codes)
	}
}

func TestSizeCapDefaultIsAdvertised(t *testing.T) {
	srv := smtptest.NewServer(t)
	c := dial(t, srv, 220)
	if ehlo := c.cmd("EHLO client.example", 250); !strings.Contains(ehlo, fmt.Sprintf("\nSIZE %d", smtptest.DefaultMaxMessageBytes)) {
		t.Errorf("EHLO reply:\n%s\nwant SIZE %d", ehlo, smtptest.DefaultMaxMessageBytes)
	}
}

func TestMaxRecipients(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.MaxRecipients(2))
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.cmd("MAIL FROM:<a@example.com>", 250)
	c.cmd("RCPT TO:<b1@example.org>", 250)
	c.cmd("RCPT TO:<b2@example.org>", 250)
	if text := c.cmd("RCPT TO:<b3@example.org>", 452); !strings.HasPrefix(text, "4.5.3 ") {
		t.Errorf("reply %q, want 452 4.5.3", text)
	}
	c.cmd("DATA", 354)
	c.write(simpleMsg + ".\r\n")
	c.expect(250)
	if got := srv.Messages()[0].To; len(got) != 2 {
		t.Errorf("To = %q, want the first two", got)
	}
	rejs := srv.Rejections()
	if len(rejs) != 1 || rejs[0].Stage != smtptest.StageRcpt || rejs[0].Arg != "b3@example.org" || rejs[0].Reply.Code != 452 {
		t.Errorf("Rejections() = %v, want the 452 for b3", rejs)
	}
}

func TestResetForgetsRecordKeepsConfig(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.MaxRecipients(1), smtptest.Hooks{
		ValidateRecipient: func(to string) error {
			if to == "no@example.org" {
				return errors.New("no")
			}
			return nil
		},
	})
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.transaction("a@example.com", []string{"b@example.org"}, simpleMsg)
	c.cmd("MAIL FROM:<a@example.com>", 250)
	c.cmd("RCPT TO:<no@example.org>", 550)
	c.cmd("RSET", 250)
	if len(srv.Messages()) != 1 || len(srv.Rejections()) != 1 {
		t.Fatalf("before Reset: %d messages, %d rejections", len(srv.Messages()), len(srv.Rejections()))
	}

	srv.Reset()
	if len(srv.Messages()) != 0 || len(srv.Rejections()) != 0 {
		t.Fatalf("after Reset: %d messages, %d rejections", len(srv.Messages()), len(srv.Rejections()))
	}
	// Hooks and limits still apply, the open session goes on.
	c.cmd("MAIL FROM:<a@example.com>", 250)
	c.cmd("RCPT TO:<no@example.org>", 550)
	c.cmd("RCPT TO:<b@example.org>", 250)
	c.cmd("RCPT TO:<c@example.org>", 452)
	c.cmd("DATA", 354)
	c.write(simpleMsg + ".\r\n")
	c.expect(250)
	if len(srv.Messages()) != 1 || len(srv.Rejections()) != 2 {
		t.Errorf("after Reset and more traffic: %d messages, %d rejections; want 1 and 2", len(srv.Messages()), len(srv.Rejections()))
	}
	if !strings.Contains(srv.Transcript(), "C: EHLO client.example") {
		t.Error("Reset dropped the transcript")
	}
}

func TestWaitForMessagesWakesOnArrival(t *testing.T) {
	srv := smtptest.NewServer(t)
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		<-release // the test is waiting (or about to): the sender works in the background
		for i := range 3 {
			if err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, fmt.Appendf(nil, "Subject: %d\r\n\r\nx\r\n", i)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	close(release)
	msgs := srv.WaitForMessages(3, ioBound)
	if len(msgs) < 3 {
		t.Fatalf("WaitForMessages returned %d messages", len(msgs))
	}
	for i, m := range msgs[:3] {
		if s, _ := m.Subject(); s != fmt.Sprint(i) {
			t.Errorf("message %d has subject %q", i, s)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := srv.WaitForMessages(0, 0); len(got) != 3 {
		t.Errorf("WaitForMessages(0, 0) = %d messages, want all 3 without waiting", len(got))
	}
}

func TestWaitForMessagesTimeoutFailsWithWhatArrived(t *testing.T) {
	tb := tbtest.Run(t, func(tb *tbtest.TB) {
		srv := smtptest.NewServer(tb)
		sendMail(t, srv, "alice@example.com", []string{"bob@example.org"}, simpleMsg)
		srv.WaitForMessages(2, 10*time.Millisecond)
		t.Error("WaitForMessages returned after its timeout; want it to stop the test")
	})
	if !tb.Fataled() {
		t.Fatal("WaitForMessages did not call Fatal")
	}
	out := tb.Text()
	for _, want := range []string{
		"WaitForMessages(2, 10ms): got 1 of 2 messages: context deadline exceeded",
		`1. from <alice@example.com> to <bob@example.org> subject "Hello"`,
		"C: MAIL FROM:<alice@example.com>",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("failure output lacks %q:\n%s", want, out)
		}
	}
}

func TestWaitForMessagesContext(t *testing.T) {
	srv := smtptest.NewServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	msgs, err := srv.WaitForMessagesContext(ctx, 1)
	if !errors.Is(err, context.Canceled) || len(msgs) != 0 {
		t.Errorf("with a canceled context: %d messages, %v", len(msgs), err)
	}

	// From another goroutine, while the test goroutine sends.
	got := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), ioBound)
		defer cancel()
		_, err := srv.WaitForMessagesContext(ctx, 1)
		got <- err
	}()
	sendMail(t, srv, "a@example.com", []string{"b@example.org"}, simpleMsg)
	if err := <-got; err != nil {
		t.Errorf("WaitForMessagesContext: %v", err)
	}

	// A server that closes ends the wait.
	closed := make(chan error, 1)
	go func() {
		_, err := srv.WaitForMessagesContext(context.Background(), 5)
		closed <- err
	}()
	srv.Close()
	if err := <-closed; !errors.Is(err, smtptest.ErrServerClosed) || !strings.Contains(err.Error(), "got 1 of 5") {
		t.Errorf("after Close: %v, want ErrServerClosed with the count", err)
	}
}

// Guarantee 2: nothing lost, nothing invented, under concurrent clients.
func TestConcurrentClientsNothingLostNothingInvented(t *testing.T) {
	const clients, perClient = 24, 25
	srv := smtptest.NewServer(t, smtptest.Hooks{
		ValidateRecipient: func(to string) error {
			if strings.HasPrefix(to, "refuse") {
				return errors.New("refused")
			}
			return nil
		},
	})
	var wg sync.WaitGroup
	sent := make([][]string, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			for j := range perClient {
				body := fmt.Sprintf("Subject: %d-%d\r\n\r\n%s\r\n.leading dot\r\n", i, j, strings.Repeat(fmt.Sprint(rng.Int()), rng.IntN(200)))
				to := "ok@example.org"
				if j%5 == 4 {
					to = "refuse@example.org"
				}
				err := smtp.SendMail(srv.Addr(), nil, fmt.Sprintf("c%d@example.com", i), []string{to}, []byte(body))
				switch {
				case err == nil:
					sent[i] = append(sent[i], body)
				case smtpCode(err) != 550:
					t.Errorf("client %d: %v", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()

	want := map[string]int{}
	for _, bodies := range sent {
		for _, b := range bodies {
			want[b]++
		}
	}
	got := map[string]int{}
	for _, m := range srv.Messages() {
		got[string(m.Data)]++
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("recorded messages differ from acknowledged ones (-acknowledged +recorded):\n%s", diff)
	}
	if n := len(srv.Rejections()); n != clients*perClient/5 {
		t.Errorf("%d rejections, want %d", n, clients*perClient/5)
	}
}

// Guarantee 3: servers are independent, in parallel tests too.
func TestParallelServersAreIsolated(t *testing.T) {
	for i := range 32 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			srv := smtptest.NewServer(t)
			from := fmt.Sprintf("sender%d@example.com", i)
			sendMail(t, srv, from, []string{"b@example.org"}, simpleMsg)
			msgs := srv.Messages()
			if len(msgs) != 1 || msgs[0].From != from {
				t.Errorf("server %d recorded %v", i, msgs)
			}
		})
	}
}

// Guarantee 4: Close ends everything, mid-transaction too; goleak in
// TestMain checks that no goroutine is left.
func TestCloseMidTransactionAndIdempotent(t *testing.T) {
	srv, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	var clients []*rawClient
	for i := range 8 {
		c := dial(t, srv, 220)
		c.cmd("EHLO client.example", 250)
		c.cmd("MAIL FROM:<a@example.com>", 250)
		if i%2 == 0 {
			c.cmd("RCPT TO:<b@example.org>", 250)
			c.cmd("DATA", 354)
			c.write("Subject: never finished\r\n\r\nhalf a line") // no end
		}
		clients = append(clients, c)
	}
	idle := dial(t, srv, 220) // connected, silent

	var wg sync.WaitGroup
	for range 3 { // concurrent Close calls all return
		wg.Add(1)
		go func() {
			defer wg.Done()
			srv.Close()
		}()
	}
	wg.Wait()
	srv.Close()

	for _, c := range append(clients, idle) {
		c.expectClosed()
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d unfinished messages recorded", n)
	}
	if _, err := net.Dial("tcp", srv.Addr()); err == nil {
		t.Error("the listener still accepts after Close")
	}
	// The record stays readable.
	if !strings.Contains(srv.Transcript(), "connection closed by Server.Close") {
		t.Errorf("transcript does not say Close ended the sessions:\n%s", srv.Transcript())
	}
}

func TestCloseReportsStuckHookAndDiscardsItsResult(t *testing.T) {
	unblock := make(chan struct{})
	entered := make(chan struct{})
	var srv *smtptest.Server
	sendErr := make(chan error, 1)
	tb := tbtest.Run(t, func(tb *tbtest.TB) {
		srv = smtptest.NewServer(tb, smtptest.CloseTimeout(50*time.Millisecond), smtptest.Hooks{
			Deliver: func(*smtptest.Message) error {
				close(entered)
				<-unblock
				return nil
			},
		})
		go func() {
			sendErr <- smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte(simpleMsg))
		}()
		<-entered
		srv.Close() // returns after the bound with the hook still running
	})
	close(unblock)
	if err := <-sendErr; err == nil {
		t.Error("the client got 250 for a message whose hook outlived Close")
	}
	if want := "Deliver (conn 1) still running after 50ms"; !strings.Contains(tb.Text(), want) {
		t.Errorf("test output:\n%s\nwant %q", tb.Text(), want)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("the stuck hook's message was recorded after Close")
	}
}

// Guarantee 5: the transcript is logged when the test fails, not when it
// passes.
func TestTranscriptLoggedOnFailure(t *testing.T) {
	failing := tbtest.Run(t, func(tb *tbtest.TB) {
		srv := smtptest.NewServer(tb)
		sendMail(t, srv, "alice@example.com", []string{"bob@example.org"}, simpleMsg)
		tb.Errorf("the code under test did something wrong")
	})
	out := failing.Text()
	for _, want := range []string{
		"Fake: smtptest server 127.0.0.1:", // the test and the server first
		"(made at smtptest_test.go:",
		"): SMTP transcript:\nconn 1: 127.0.0.1:",
		"ms S: 220 localhost ESMTP smtptest",
		"ms C: EHLO localhost",
		"ms C: MAIL FROM:<alice@example.com>",
		`C: [87 bytes of message data: "From: Alice <alice@example.com>\r\nTo: Bob"...]`,
		"S: 250 2.0.0 OK: queued",
		"C: QUIT",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Hi Bob.") {
		t.Errorf("the transcript copies message data beyond its first bytes:\n%s", out)
	}

	passing := tbtest.Run(t, func(tb *tbtest.TB) {
		srv := smtptest.NewServer(tb)
		sendMail(t, srv, "alice@example.com", []string{"bob@example.org"}, simpleMsg)
	})
	if out := passing.Text(); out != "" {
		t.Errorf("a passing test logged:\n%s", out)
	}
}

func TestTranscriptForFailureIsNotLoggedTwice(t *testing.T) {
	count := func(tb *tbtest.TB) int { return strings.Count(tb.Text(), "C: MAIL FROM:<alice@example.com>") }
	shown := tbtest.Run(t, func(tb *tbtest.TB) {
		srv := smtptest.NewServer(tb)
		sendMail(t, srv, "alice@example.com", []string{"bob@example.org"}, simpleMsg)
		tb.Errorf("helper failed:\n%s", srv.TranscriptForFailure())
		tb.Errorf("another helper failed:\n%s", srv.TranscriptForFailure())
	})
	if !strings.Contains(shown.Text(), "another helper failed:\n(the same as in the failure message above)") {
		t.Errorf("second failure message repeats the transcript:\n%s", shown.Text())
	}
	if n := count(shown); n != 1 {
		t.Errorf("transcript appears %d times, want once:\n%s", n, shown.Text())
	}
	// Traffic after the failure message: the cleanup logs only that.
	more := tbtest.Run(t, func(tb *tbtest.TB) {
		srv := smtptest.NewServer(tb)
		sendMail(t, srv, "alice@example.com", []string{"bob@example.org"}, simpleMsg)
		tb.Errorf("helper failed:\n%s", srv.TranscriptForFailure())
		sendMail(t, srv, "carol@example.com", []string{"bob@example.org"}, simpleMsg)
	})
	if n := count(more); n != 1 || !strings.Contains(more.Text(), "the SMTP transcript after the failure message above:\nconn 2: ") ||
		!strings.Contains(more.Text(), "C: MAIL FROM:<carol@example.com>") {
		t.Errorf("want the first dialogue once and the later one logged after it:\n%s", more.Text())
	}

	// A sender that gave up on a 451 and left its connection open: the
	// only line added after the failure message is the close, which the
	// cleanup does not log.
	closeOnly := tbtest.Run(t, func(tb *tbtest.TB) {
		srv := smtptest.NewServer(tb, smtptest.FailNextDelivery())
		c := dial(t, srv, 220)
		c.cmd("EHLO client.example", 250)
		c.transactionRefused("alice@example.com", "bob@example.org", 451)
		tb.Errorf("helper failed:\n%s", srv.TranscriptForFailure())
	})
	if n := count(closeOnly); n != 1 || strings.Contains(closeOnly.Text(), "SMTP transcript after") {
		t.Errorf("want the dialogue once, and nothing for the close:\n%s", closeOnly.Text())
	}

	// A second failure message after more dialogue shows the new lines.
	second := tbtest.Run(t, func(tb *tbtest.TB) {
		srv := smtptest.NewServer(tb)
		c := dial(t, srv, 220)
		c.cmd("EHLO client.example", 250)
		c.cmd("MAIL FROM:<alice@example.com>", 250)
		tb.Errorf("helper failed:\n%s", srv.TranscriptForFailure())
		c.cmd("RCPT TO:<bob@example.org>", 250)
		tb.Errorf("again:\n%s", srv.TranscriptForFailure())
	})
	if n := count(second); n != 1 || !strings.Contains(second.Text(), "again:\n(the transcript in the failure message above, then:)\nconn 1, continued:\n") ||
		strings.Count(second.Text(), "C: RCPT TO:<bob@example.org>") != 1 {
		t.Errorf("want each line once:\n%s", second.Text())
	}
}

// transactionRefused sends MAIL, RCPT and a message, whose end of data
// must get code.
func (c *rawClient) transactionRefused(from, to string, code int) {
	c.t.Helper()
	c.cmd("MAIL FROM:<"+from+">", 250)
	c.cmd("RCPT TO:<"+to+">", 250)
	c.cmd("DATA", 354)
	c.write(simpleMsg + ".\r\n")
	c.expect(code)
}

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

func TestTranscriptEscapesAndCutsLines(t *testing.T) {
	srv := smtptest.NewServer(t)
	c := dial(t, srv, 220)
	c.cmd("EHLO bin\x00ary\xff", 250)
	c.cmd("NOOP "+strings.Repeat("n", 1500), 250)
	tr := srv.Transcript()
	if !strings.Contains(tr, `C: EHLO bin\x00ary\xff`) {
		t.Errorf("control bytes not escaped:\n%s", tr)
	}
	if !strings.Contains(tr, "nnn... (1505 bytes)") {
		t.Errorf("long line not cut with its length:\n%s", tr)
	}
}

func TestTranscriptOfLongSessionKeepsHeadAndTail(t *testing.T) {
	srv := smtptest.NewServer(t)
	c := dial(t, srv, 220)
	c.cmd("EHLO first.example", 250)
	for i := range 3000 {
		c.cmd(fmt.Sprintf("NOOP %d %s", i, strings.Repeat("z", 100)), 250)
	}
	c.cmd("HELO last.example", 250)
	tr := srv.Transcript()
	if len(tr) > 300<<10 {
		t.Errorf("transcript of one connection is %d bytes", len(tr))
	}
	for _, want := range []string{"C: EHLO first.example", "bytes of transcript omitted", "C: HELO last.example"} {
		if !strings.Contains(tr, want) {
			t.Errorf("transcript lacks %q", want)
		}
	}

	// What a failure message showed, then lines the ring drops before a
	// second one: it says that lines were left out, and shows the rest.
	srv.TranscriptForFailure()
	for i := range 1000 {
		c.cmd(fmt.Sprintf("NOOP again %d %s", i, strings.Repeat("y", 100)), 250)
	}
	c.cmd("HELO later.example", 250)
	again := srv.TranscriptForFailure()
	for _, want := range []string{"conn 1, continued:\n", "bytes of transcript omitted", "C: HELO later.example"} {
		if !strings.Contains(again, want) {
			t.Errorf("second failure transcript lacks %q:\n%.2000s", want, again)
		}
	}
	for _, shown := range []string{"C: EHLO first.example", "C: HELO last.example", "NOOP again 0 "} {
		if strings.Contains(again, shown) {
			t.Errorf("second failure transcript repeats or keeps %q", shown)
		}
	}
}

// The protocol details of DESIGN.md ("where we follow go-smtp/RFC 5321
// rather than tcllib"), one raw session each.
func TestProtocolDetails(t *testing.T) {
	tests := []struct {
		name   string
		script func(c *rawClient)
		check  func(t *testing.T, srv *smtptest.Server)
	}{
		{
			name: "MAIL before HELO is 503",
			script: func(c *rawClient) {
				c.cmd("MAIL FROM:<a@example.com>", 503)
				c.cmd("RCPT TO:<b@example.org>", 503)
				c.cmd("DATA", 503)
			},
		},
		{
			name: "RCPT without MAIL and DATA without RCPT are 503",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.cmd("RCPT TO:<b@example.org>", 503)
				c.cmd("DATA", 503)
				c.cmd("MAIL FROM:<a@example.com>", 250)
				c.cmd("DATA", 503)
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				var stages []smtptest.Stage
				for _, r := range srv.Rejections() {
					stages = append(stages, r.Stage)
				}
				if want := []smtptest.Stage{smtptest.StageRcpt, smtptest.StageData, smtptest.StageData}; !slices.Equal(stages, want) {
					t.Errorf("rejection stages %v, want %v", stages, want)
				}
			},
		},
		{
			name: "repeated EHLO resets the transaction",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.cmd("MAIL FROM:<a@example.com>", 250)
				c.cmd("RCPT TO:<b@example.org>", 250)
				c.cmd("EHLO again.example", 250)
				c.cmd("DATA", 503)
				c.transaction("c@example.com", []string{"d@example.org"}, simpleMsg)
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				m := srv.Messages()[0]
				if m.From != "c@example.com" || !slices.Equal(m.To, []string{"d@example.org"}) || m.Helo != "again.example" {
					t.Errorf("message %v from %q", m.Envelope, m.Helo)
				}
			},
		},
		{
			name: "address literal in EHLO",
			script: func(c *rawClient) {
				c.cmd("EHLO [127.0.0.1]", 250)
				c.cmd("HELO [IPv6:::1]", 250)
			},
		},
		{
			name: "unknown and malformed verbs",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.cmd("XYZZ plugh", 500)
				c.cmd("VRFY bob", 252)
				c.cmd("EXPN list", 502)
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				r := srv.Rejections()
				if len(r) != 2 || r[0].Stage != 0 || r[0].Command != "XYZZ plugh" {
					t.Errorf("rejections %+v, want the unknown verb and EXPN at the zero Stage", r)
				}
			},
		},
		{
			name: "command line over 2000 bytes is 500 5.5.2 and the session goes on",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				if text := c.cmd("MAIL FROM:<"+strings.Repeat("a", 2000)+"@example.com>", 500); !strings.HasPrefix(text, "5.5.2") {
					c.t.Errorf("reply %q", text)
				}
				c.cmd("NOOP "+strings.Repeat("x", 20000), 500) // longer than any buffer
				c.transaction("a@example.com", []string{"b@example.org"}, simpleMsg)
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				if r := srv.Rejections(); len(r) != 2 || r[0].Stage != smtptest.StageMail || r[1].Stage != smtptest.StageNoop {
					t.Errorf("rejections %v", r)
				}
			},
		},
		{
			name: "a 2000-byte command line is fine",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.cmd("NOOP "+strings.Repeat("x", 1995), 250)
			},
		},
		{
			name: "dot-stuffing removed, long data lines kept",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.transaction("a@example.com", []string{"b@example.org"},
					"Subject: dots\r\n\r\n..hello\r\n....\r\n.unstuffed\r\n"+strings.Repeat("z", 100000)+"\r\nend\r\n")
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				want := "Subject: dots\r\n\r\n.hello\r\n...\r\nunstuffed\r\n" + strings.Repeat("z", 100000) + "\r\nend\r\n"
				if got := string(srv.Messages()[0].Data); got != want {
					t.Errorf("Data differs: got %d bytes, want %d", len(got), len(want))
				}
			},
		},
		{
			name: "dot and bare LF does not end the data (smuggling)",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.cmd("MAIL FROM:<a@example.com>", 250)
				c.cmd("RCPT TO:<b@example.org>", 250)
				c.cmd("DATA", 354)
				c.write("Subject: smuggle\r\n\r\nbody\r\n.\nMAIL FROM:<evil@example.net>\nRCPT TO:<victim@example.org>\nDATA\n")
				c.write("smuggled\r\n.\r\n")
				c.expect(250)
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				msgs := srv.Messages()
				want := "Subject: smuggle\r\n\r\nbody\r\n\nMAIL FROM:<evil@example.net>\nRCPT TO:<victim@example.org>\nDATA\nsmuggled\r\n"
				if len(msgs) != 1 || string(msgs[0].Data) != want {
					t.Errorf("got %d messages, first %q", len(msgs), msgs[0].Data)
				}
			},
		},
		{
			name: "bare LF, bare CR, NUL and 8-bit data recorded byte for byte",
			script: func(c *rawClient) {
				c.write("EHLO client.example\n") // bare LF command
				c.expect(250)
				c.cmd("MAIL FROM:<a@example.com>", 250)
				c.cmd("RCPT TO:<b@example.org>", 250)
				c.cmd("DATA", 354)
				c.write("Subject: caf\xe9\nX: \x00nul\n\ncaf\xc3\xa9\rcr-only\r\n.\r\n")
				c.expect(250)
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				if got := string(srv.Messages()[0].Data); got != "Subject: caf\xe9\nX: \x00nul\n\ncaf\xc3\xa9\rcr-only\r\n" {
					t.Errorf("Data = %q", got)
				}
			},
		},
		{
			name: "quoted local part reaches the recipient check unquoted",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.transaction("a@example.com", []string{`"bob smith"@example.org`}, simpleMsg)
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				if got := srv.Messages()[0].To; !slices.Equal(got, []string{"bob smith@example.org"}) {
					t.Errorf("To = %q", got)
				}
			},
		},
		{
			name: "lenient address syntax, sender without domain refused",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.cmd("MAIL FROM: <a@example.com>", 250)
				c.cmd("RSET", 250)
				c.cmd("MAIL FROM:a@example.com", 250)
				c.cmd("RSET", 250)
				c.cmd("MAIL FROM:<alice>", 501)
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				if r := srv.Rejections(); len(r) != 1 || r[0].Arg != "alice" || r[0].Reply.Code != 501 {
					t.Errorf("rejections %+v", r)
				}
			},
		},
		{
			name: "RSET mid-transaction, two transactions in one session",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.cmd("MAIL FROM:<a@example.com>", 250)
				c.cmd("RCPT TO:<b@example.org>", 250)
				c.cmd("RSET", 250)
				c.cmd("DATA", 503)
				c.transaction("a@example.com", []string{"c@example.org"}, simpleMsg)
				c.transaction("d@example.com", []string{"e@example.org"}, simpleMsg)
				c.cmd("DATA", 503) // the transaction ended with the message
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				msgs := srv.Messages()
				if len(msgs) != 2 || !slices.Equal(msgs[0].To, []string{"c@example.org"}) || msgs[1].From != "d@example.com" || !slices.Equal(msgs[1].To, []string{"e@example.org"}) {
					t.Errorf("messages %v", msgs)
				}
			},
		},
		{
			name: "pipelined commands get their replies in order",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.write("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n")
				for _, code := range []int{250, 250, 250, 354} {
					c.expect(code)
				}
				c.write(simpleMsg + ".\r\nMAIL FROM:<x@example.com>\r\nRCPT TO:<y@example.org>\r\nNOOP\r\nQUIT\r\n")
				for _, code := range []int{250, 250, 250, 250, 221} {
					c.expect(code)
				}
				c.expectClosed()
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				if msgs := srv.Messages(); len(msgs) != 1 || len(msgs[0].To) != 2 {
					t.Errorf("messages %v", msgs)
				}
			},
		},
		{
			name: "BDAT in chunks",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.cmd("MAIL FROM:<a@example.com>", 250)
				c.cmd("RCPT TO:<b@example.org>", 250)
				c.write("BDAT 9\r\nSubject: ")
				c.expect(250)
				c.write("BDAT 0\r\n")
				c.expect(250)
				c.write("BDAT 14 LAST\r\nx\r\n\r\n.\r\nQUIT\r\n") // not a command: chunk bytes
				c.expect(250)
				c.cmd("NOOP", 250)
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				if got := string(srv.Messages()[0].Data); got != "Subject: x\r\n\r\n.\r\nQUIT\r\n" {
					t.Errorf("Data = %q", got)
				}
			},
		},
		{
			name: "DATA after BDAT is 503, after BDAT 0 too, and the transfer goes on",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.cmd("MAIL FROM:<a@example.com>", 250)
				c.cmd("RCPT TO:<b@example.org>", 250)
				c.cmd("BDAT 0", 250)
				c.cmd("DATA", 503) // RFC 3030 2
				c.cmd("NOOP", 250)
				c.cmd("DATA", 503)
				c.write("BDAT 3\r\nSub")
				c.expect(250)
				c.cmd("DATA", 503)
				c.write("BDAT 9 LAST\r\nject: x\r\n")
				c.expect(250)
				// A new transaction may use DATA again.
				c.cmd("MAIL FROM:<a@example.com>", 250)
				c.cmd("RCPT TO:<b@example.org>", 250)
				c.cmd("BDAT 0", 250)
				c.cmd("RSET", 250)
				c.cmd("MAIL FROM:<a@example.com>", 250)
				c.cmd("RCPT TO:<b@example.org>", 250)
				c.cmd("DATA", 354)
				c.write("Subject: y\r\n.\r\n")
				c.expect(250)
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				msgs := srv.Messages()
				if len(msgs) != 2 || string(msgs[0].Data) != "Subject: x\r\n" || string(msgs[1].Data) != "Subject: y\r\n" {
					t.Errorf("messages %v", msgs)
				}
				var codes []int
				for _, r := range srv.Rejections() {
					codes = append(codes, r.Reply.Code)
				}
				if !slices.Equal(codes, []int{503, 503, 503}) {
					t.Errorf("rejections %v", srv.Rejections())
				}
			},
		},
		{
			name: "BDAT without a transaction consumes its chunk",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.write("BDAT 6 LAST\r\nQUIT\r\n")
				c.expect(503)
				c.cmd("NOOP", 250)
			},
		},
		{
			name: "DSN and SMTPUTF8 are advertised",
			script: func(c *rawClient) {
				ehlo := c.cmd("EHLO client.example", 250)
				for _, ext := range []string{"PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "CHUNKING", "SMTPUTF8", "DSN", "SIZE "} {
					if !strings.Contains(ehlo, "\n"+ext) {
						c.t.Errorf("EHLO reply lacks %s:\n%s", ext, ehlo)
					}
				}
				c.cmd("MAIL FROM:<ålice@example.com> SMTPUTF8", 250)
				c.cmd("RCPT TO:<bøb@example.org> NOTIFY=NEVER", 250)
			},
		},
		{
			name: "client drops mid-DATA: nothing recorded, next client served",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.cmd("MAIL FROM:<a@example.com>", 250)
				c.cmd("RCPT TO:<b@example.org>", 250)
				c.cmd("DATA", 354)
				c.write("Subject: dropped\r\n\r\nhalf")
				c.nc.Close()
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				c := dial(t, srv, 220)
				c.cmd("EHLO next.example", 250)
				c.transaction("a@example.com", []string{"b@example.org"}, simpleMsg)
				if msgs := srv.Messages(); len(msgs) != 1 || msgs[0].Helo != "next.example" {
					t.Errorf("messages %v", msgs)
				}
				if r := srv.Rejections(); len(r) != 0 {
					t.Errorf("a reply to a client that left is recorded as a rejection: %v", r)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.NewServer(t)
			tt.script(dial(t, srv, 220))
			if tt.check != nil {
				tt.check(t, srv)
			}
		})
	}
}

// A first BDAT of zero bytes followed by a client that leaves used to race
// go-smtp's BDAT goroutine against its Close (a nil session, a recovered
// panic that go-smtp logs). The front answers such a chunk itself.
func TestEmptyFirstBDATThenDisconnect(t *testing.T) {
	tb := tbtest.Run(t, func(tb *tbtest.TB) {
		srv := smtptest.NewServer(tb)
		for range 200 {
			c := dial(t, srv, 220)
			c.write("EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nBDAT 0\r\n")
			for _, code := range []int{250, 250, 250, 250} {
				c.expect(code)
			}
			c.nc.Close()
		}
		c := dial(t, srv, 220) // BDAT 0 then real chunks still make a message
		c.write("EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nBDAT 0\r\n" + bdat("Subject: z\r\n\r\n", false) + bdat("", true))
		for _, code := range []int{250, 250, 250, 250, 250, 250} {
			c.expect(code)
		}
		if m := srv.Messages(); len(m) != 1 || string(m[0].Data) != "Subject: z\r\n\r\n" {
			t.Errorf("messages %v", m)
		}
	})
	if strings.Contains(tb.Text(), "panic") {
		t.Errorf("the server logged a panic:\n%s", tb.Text())
	}
}

func TestTooManyErrorsClose(t *testing.T) {
	// go-smtp closes a session after its fourth syntax error; the front
	// passes that through and records it.
	srv := smtptest.NewServer(t)
	c := dial(t, srv, 220)
	for range 3 {
		c.cmd("XY", 501)
	}
	c.write("XY\r\n")
	c.expect(501)
	c.expect(500)
	c.expectClosed()
}

func TestReadTimeout(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.ReadTimeout(50*time.Millisecond))
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	if text := c.expect(421); !strings.HasPrefix(text, "4.4.2 ") {
		t.Errorf("reply %q, want 421 4.4.2", text)
	}
	c.expectClosed()
	if !strings.Contains(srv.Transcript(), "read timed out after 50ms") {
		t.Errorf("transcript:\n%s", srv.Transcript())
	}
}

func TestGreetingDomainAndBanner(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.Domain("mx.example.org"), smtptest.Banner("ESMTP Postfix (Debian)"))
	nc, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetReadDeadline(time.Now().Add(ioBound))
	line := make([]byte, 100)
	n, _ := io.ReadAtLeast(nc, line, len("220 mx.example.org ESMTP Postfix (Debian)\r\n"))
	if got := string(line[:n]); got != "220 mx.example.org ESMTP Postfix (Debian)\r\n" {
		t.Errorf("greeting %q", got)
	}
	cfg := srv.Config()
	if cfg.Domain != "mx.example.org" || cfg.Banner != "ESMTP Postfix (Debian)" || cfg.Addr != srv.Addr() || cfg.MaxMessageBytes != smtptest.DefaultMaxMessageBytes || cfg.MaxRecipients != smtptest.DefaultMaxRecipients {
		t.Errorf("Config() = %+v", cfg)
	}
}

func TestMultiLineRepliesAreOneWrite(t *testing.T) {
	// The EHLO reply is several lines; the front sends it in one write, so
	// one read of a few KiB gets all of it.
	srv := smtptest.NewServer(t)
	nc, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(ioBound))
	buf := make([]byte, 4096)
	if _, err := nc.Read(buf); err != nil { // greeting
		t.Fatal(err)
	}
	nc.Write([]byte("EHLO client.example\r\n"))
	n, err := nc.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(buf[:n]); strings.Count(got, "\r\n") < 5 || !strings.Contains(got, "250 ") {
		t.Errorf("one read got %q; want the whole EHLO reply", got)
	}
}

func TestConfigureSMTP(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.ConfigureSMTP(func(s *gosmtp.Server) {
		s.EnableBINARYMIME = true
		s.EnableDSN = false
	}))
	c := dial(t, srv, 220)
	ehlo := c.cmd("EHLO client.example", 250)
	if !strings.Contains(ehlo, "\nBINARYMIME") || strings.Contains(ehlo, "\nDSN") {
		t.Errorf("EHLO reply:\n%s\nwant BINARYMIME and no DSN", ehlo)
	}
	c.cmd("MAIL FROM:<a@example.com> BODY=BINARYMIME", 250)

	_, err := smtptest.Start(smtptest.ConfigureSMTP(func(s *gosmtp.Server) {
		s.MaxMessageBytes = 10
		s.TLSConfig = &tls.Config{}
	}))
	if err == nil || !strings.Contains(err.Error(), "TLSConfig (use StartTLS, ImplicitTLS, TLSConfig), MaxMessageBytes (use MaxMessageBytes)") {
		t.Errorf("Start with owned fields changed: %v", err)
	}
}

func TestInvalidOptions(t *testing.T) {
	for _, o := range []smtptest.Option{
		smtptest.MaxMessageBytes(0),
		smtptest.MaxRecipients(-1),
		smtptest.ReadTimeout(-time.Second),
		smtptest.WriteTimeout(-time.Second),
		smtptest.CloseTimeout(0),
		smtptest.Domain(""),
		smtptest.Domain("a\r\nb"),
		smtptest.Banner("x\ny"),
		smtptest.ListenAddr(""),
		smtptest.ListenAddr("256.0.0.1:0"),
		smtptest.ConfigureSMTP(nil),
		nil,
	} {
		if srv, err := smtptest.Start(o); err == nil || !strings.HasPrefix(err.Error(), "smtptest: ") {
			t.Errorf("Start(%#v) = %v; want an error starting with smtptest:", o, err)
			if srv != nil {
				srv.Close()
			}
		}
	}
	tb := tbtest.Run(t, func(tb *tbtest.TB) {
		smtptest.NewServer(tb, smtptest.MaxMessageBytes(-1))
		t.Error("NewServer returned with an invalid option")
	})
	if !tb.Fataled() || !strings.Contains(tb.Text(), "MaxMessageBytes(-1)") {
		t.Errorf("NewServer with an invalid option: %q", tb.Text())
	}
}

func TestStageString(t *testing.T) {
	want := map[smtptest.Stage]string{
		0: "other", smtptest.StageConnect: "connect", smtptest.StageHelo: "HELO", smtptest.StageAuth: "AUTH",
		smtptest.StageMail: "MAIL", smtptest.StageRcpt: "RCPT", smtptest.StageData: "DATA",
		smtptest.StageEndOfData: "end of data", smtptest.StageRset: "RSET", smtptest.StageNoop: "NOOP",
		smtptest.StageQuit: "QUIT", 42: "Stage(42)",
	}
	for s, w := range want {
		if got := s.String(); got != w {
			t.Errorf("Stage(%d).String() = %q, want %q", int(s), got, w)
		}
	}
}

func TestRejectionString(t *testing.T) {
	r := smtptest.Rejection{Stage: smtptest.StageRcpt, Arg: "b@example.org", Reply: gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "no\nsuch user"}}
	if got, want := r.String(), "RCPT b@example.org: 550 5.1.1 no / such user"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// Guarantee 7: no panic, no hang on garbage; the next client is served.
func TestGarbageInputNeverBreaksTheServer(t *testing.T) {
	srv := smtptest.NewServer(t)
	rng := rand.New(rand.NewPCG(7, 7))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nc, err := net.Dial("tcp", srv.Addr())
			if err != nil {
				t.Error(err)
				return
			}
			defer nc.Close()
			// Half the clients first get into DATA or BDAT mode.
			prefixes := []string{"", "EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n", "EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 100\r\n", "EHLO x\r\nAUTH LOGIN\r\n"}
			buf := []byte(prefixes[i%len(prefixes)])
			r := rand.New(rand.NewPCG(uint64(i), 3))
			for range 2000 {
				switch r.IntN(6) {
				case 0:
					buf = append(buf, '\r', '\n')
				case 1:
					buf = append(buf, '\n')
				case 2:
					buf = append(buf, ".\r\n"...)
				default:
					buf = append(buf, byte(r.IntN(256)))
				}
			}
			nc.SetDeadline(time.Now().Add(ioBound))
			nc.Write(buf)
			nc.(*net.TCPConn).CloseWrite()
			io.Copy(io.Discard, nc) // until the server closes or gives up
		}()
	}
	_ = rng
	wg.Wait()
	sendMail(t, srv, "a@example.com", []string{"b@example.org"}, simpleMsg)
	if got := srv.Messages(); len(got) == 0 || string(got[len(got)-1].Data) != simpleMsg {
		t.Errorf("a well-behaved client after the garbage was not served")
	}
}
