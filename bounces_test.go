package smtptest_test

import (
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/smtptest/smtptest"
)

// TestBounces drives the whole path: the app sends through the
// receiver, which accepts and later bounces to the app's inbound server.
func TestBounces(t *testing.T) {
	inbound := smtptest.NewServer(t) // where the app reads its bounces
	clock := smtptest.NewFakeClock(time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC))
	srv := smtptest.NewServer(t, smtptest.Bounces{
		Match:  "*@gone.example",
		Delay:  4 * time.Hour,
		Clock:  clock,
		SendTo: inbound.Addr(),
	})

	sendWith(t, srv.Addr(), "bounces@shop.example", nil, dsnTestMessage,
		map[string]*smtp.RcptOptions{
			"ann@gone.example": {Notify: []smtp.DSNNotify{smtp.DSNNotifyFailure, smtp.DSNNotifyDelayed}},
			"bob@example.org":  {Notify: []smtp.DSNNotify{smtp.DSNNotifySuccess}},
			"cat@example.org":  nil,
		}, "ann@gone.example", "bob@example.org", "cat@example.org")
	m := srv.WaitForMessages(1, ioBound)[0]
	if len(m.To) != 3 {
		t.Fatalf("accepted %v", m.To)
	}

	// At once: bob's success DSN and ann's delay warning, sent off the
	// connection.
	got := inbound.WaitForMessages(2, ioBound)
	actions := map[string]string{}
	for _, dsn := range got {
		if dsn.From != "" || len(dsn.To) != 1 || dsn.To[0] != "bounces@shop.example" {
			t.Errorf("DSN envelope <%s> -> %v", dsn.From, dsn.To)
		}
		r := readReport(t, dsn.Data)
		for _, g := range r.fields[1:] {
			actions[g.Get("Final-Recipient")] = g.Get("Action")
		}
	}
	want := map[string]string{"rfc822; ann@gone.example": "delayed", "rfc822; bob@example.org": "delivered"}
	if len(actions) != len(want) || actions["rfc822; ann@gone.example"] != "delayed" || actions["rfc822; bob@example.org"] != "delivered" {
		t.Errorf("DSNs at once: %v, want %v", actions, want)
	}

	clock.Advance(4*time.Hour - time.Second)
	if n := len(srv.Notices()); n != 2 {
		t.Fatalf("%d notices before the delay is over", n)
	}
	clock.Advance(time.Second) // the failure DSN is sent within Advance
	notices := srv.Notices()
	if len(notices) != 3 {
		t.Fatalf("%d notices after the delay, want 3", len(notices))
	}
	last := notices[2]
	if last.Err != nil || !last.Sent.Equal(clock.Now()) || last.About != m.ID {
		t.Errorf("failure DSN sent %v, err %v, about %d", last.Sent, last.Err, last.About)
	}
	got = inbound.WaitForMessages(3, ioBound)
	r := readReport(t, got[2].Data)
	if len(r.fields) != 2 || r.fields[1].Get("Final-Recipient") != "rfc822; ann@gone.example" || r.fields[1].Get("Action") != "failed" || r.fields[1].Get("Last-Attempt-Date") != "Fri, 04 Dec 2026 14:00:00 +0000" {
		t.Errorf("failure DSN fields %v", r.fields)
	}
	if !strings.Contains(r.returned, "Thanks for your order.") {
		t.Errorf("the failure DSN does not return the message:\n%s", r.returned)
	}

	srv.Reset()
	if n := len(srv.Notices()); n != 0 {
		t.Errorf("%d notices after Reset", n)
	}
}

// TestBouncesAtOnce: with no Delay the notice is kept before the reply,
// and with no SendTo it is only kept.
func TestBouncesAtOnce(t *testing.T) {
	srv := smtptest.NewServer(t,
		smtptest.Bounces{Match: "full@example.org", Status: smtptest.DeliveryStatus{Reply: &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 2, 2}, Message: "Mailbox full"}}},
		smtptest.Bounces{}, // everyone else: user unknown
	)
	sendWith(t, srv.Addr(), "app@shop.example", nil, dsnTestMessage, nil, "full@example.org", "nobody@example.org")
	notices := srv.Notices()
	if len(notices) != 2 {
		t.Fatalf("%d notices right after the reply, want 2", len(notices))
	}
	statuses := map[string]bool{}
	for _, n := range notices {
		if !n.Sent.IsZero() || n.Err != nil {
			t.Errorf("a kept notice says sent %v, err %v", n.Sent, n.Err)
		}
		r := readReport(t, n.Data)
		statuses[r.fields[1].Get("Final-Recipient")+" "+r.fields[1].Get("Status")] = true
	}
	if !statuses["rfc822; full@example.org 5.2.2"] || !statuses["rfc822; nobody@example.org 5.1.1"] {
		t.Errorf("statuses %v", statuses)
	}
	// Notices returns copies.
	notices[0].Data[0] = 'X'
	if srv.Notices()[0].Data[0] == 'X' {
		t.Error("Notices shares its Data with the server")
	}
}

func TestBouncesLMTP(t *testing.T) {
	inbound := smtptest.NewServer(t, smtptest.ConfigureSMTP(func(s *smtp.Server) { s.LMTP = true }))
	srv := smtptest.NewServer(t, smtptest.Bounces{SendTo: inbound.Addr(), LMTP: true})
	sendWith(t, srv.Addr(), "app@shop.example", nil, dsnTestMessage, nil, "ann@example.org")
	got := inbound.WaitForMessages(1, ioBound)
	if got[0].Helo != "localhost" || got[0].To[0] != "app@shop.example" {
		t.Errorf("LMTP delivery LHLO %q to %v", got[0].Helo, got[0].To)
	}
	readReport(t, got[0].Data)
}

// TestBouncesSendFails: a notice that cannot be delivered says why, and
// the message it is about was accepted all the same.
func TestBouncesSendFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	clock := smtptest.NewFakeClock(time.Now())
	srv := smtptest.NewServer(t, smtptest.Bounces{SendTo: addr, Delay: time.Minute, Clock: clock})
	sendWith(t, srv.Addr(), "app@shop.example", nil, dsnTestMessage, nil, "ann@example.org")
	clock.Advance(time.Minute)
	n := srv.Notices()
	if len(n) != 1 || n[0].Err == nil || !n[0].Sent.IsZero() || !strings.Contains(n[0].Err.Error(), "sending the DSN about message 1 to <app@shop.example> over SMTP at "+addr) {
		t.Fatalf("notices %+v", n)
	}
}

// TestBouncesClosePending: a server that closes with a bounce still to
// come sends nothing after, and leaves no goroutine (TestMain checks).
func TestBouncesClosePending(t *testing.T) {
	inbound := smtptest.NewServer(t)
	clock := smtptest.NewFakeClock(time.Now())
	srv := smtptest.NewServer(t, smtptest.Bounces{SendTo: inbound.Addr(), Delay: time.Minute, Clock: clock})
	sendWith(t, srv.Addr(), "app@shop.example", nil, dsnTestMessage, nil, "ann@example.org")
	srv.Close()
	clock.Advance(time.Hour)
	if n := len(srv.Notices()); n != 0 {
		t.Errorf("%d notices made after Close", n)
	}
	// And with the real clock: the timer is stopped.
	srv2 := smtptest.NewServer(t, smtptest.Bounces{SendTo: inbound.Addr(), Delay: time.Hour})
	sendWith(t, srv2.Addr(), "app@shop.example", nil, dsnTestMessage, nil, "ann@example.org")
	srv2.Close()
	if n := len(inbound.Messages()); n != 0 {
		t.Errorf("inbound got %d", n)
	}
}

func TestBouncesOptions(t *testing.T) {
	for _, tc := range []struct {
		b    smtptest.Bounces
		want string
	}{
		{smtptest.Bounces{Match: "[x"}, "Bounces: Match"},
		{smtptest.Bounces{Delay: -1}, "negative Delay"},
		{smtptest.Bounces{Status: smtptest.DeliveryStatus{Reply: &smtp.SMTPError{Code: 250}}}, "a failed DSN needs a 5xx reply"},
	} {
		_, err := smtptest.Start(tc.b)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Start(%+v) = %v, want %q", tc.b, err, tc.want)
		}
	}
	if !errors.Is(smtptest.ErrNoNotice, smtptest.ErrNoNotice) {
		t.Fatal()
	}
}

// TestBouncesToSelf: the DSN comes back to the server that made it, and
// a DSN (null sender) is never bounced in turn, even by a Bounces that
// matches everyone.
func TestBouncesToSelf(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.Bounces{SendTo: smtptest.SendToSelf})
	sendWith(t, srv.Addr(), "app@shop.example", nil, dsnTestMessage, nil, "ann@example.org")
	msgs := srv.WaitForMessages(2, ioBound)
	if msgs[1].From != "" || msgs[1].To[0] != "app@shop.example" {
		t.Fatalf("second message <%s> -> %v, want the DSN", msgs[1].From, msgs[1].To)
	}
	readReport(t, msgs[1].Data)
	if n := srv.Notices(); len(n) != 1 {
		t.Errorf("%d notices, want 1 (no bounce of the bounce)", len(n))
	}
}

// lmtpBackend is a go-smtp backend that keeps what it is given: the
// app's local delivery agent, listening on a Unix socket.
type lmtpBackend struct{ got chan []byte }

func (b lmtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return lmtpSession(b), nil }

type lmtpSession lmtpBackend

func (lmtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (lmtpSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s lmtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.got <- b
	return err
}
func (lmtpSession) Reset()        {}
func (lmtpSession) Logout() error { return nil }

// TestNoticeSendLMTPUnix: SendLMTP takes a Unix socket's path.
func TestNoticeSendLMTPUnix(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "lmtp.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	be := lmtpBackend{got: make(chan []byte, 1)}
	ls := smtp.NewServer(be)
	ls.LMTP = true
	go ls.Serve(ln)
	t.Cleanup(func() { ls.Close() })

	srv := smtptest.NewServer(t)
	sendWith(t, srv.Addr(), "app@shop.example", nil, dsnTestMessage, nil, "ann@example.org")
	n, err := srv.Bounce(srv.WaitForMessages(1, ioBound)[0], smtptest.DeliveryStatus{})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.SendLMTP(t.Context(), sock); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-be.got:
		readReport(t, got)
	case <-time.After(ioBound):
		t.Fatal("the LMTP server got nothing")
	}
}
