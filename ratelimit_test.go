package smtptest_test

import (
	"errors"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/smtptest/smtptest"
)

// TestRateLimitMessages: two messages a minute: the third is refused 421
// 4.7.0 and the connection closed; after half a minute (the fake clock)
// one more token, after a minute two.
func TestRateLimitMessages(t *testing.T) {
	clock := smtptest.NewFakeClock(time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC))
	srv := smtptest.NewServer(t, smtptest.RateLimit{Messages: 2, Clock: clock})
	send := func() error {
		return smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte(completeMsg))
	}
	for i := range 2 {
		if err := send(); err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
	}
	var tp *textproto.Error
	if err := send(); !errors.As(err, &tp) || tp.Code != 421 || !strings.HasPrefix(tp.Msg, "4.7.0 Message rate") {
		t.Fatalf("message 3: %v", err)
	}
	clock.Advance(30 * time.Second)
	if err := send(); err != nil {
		t.Fatalf("after 30 s: %v", err)
	}
	if err := send(); !errors.As(err, &tp) || tp.Code != 421 {
		t.Fatalf("again at once: %v", err)
	}
	clock.Advance(time.Hour) // a full bucket holds two, not sixty
	for i := range 2 {
		if err := send(); err != nil {
			t.Fatalf("after an hour, message %d: %v", i+1, err)
		}
	}
	if err := send(); !errors.As(err, &tp) || tp.Code != 421 {
		t.Fatalf("a third after an hour: %v", err)
	}
	if n := len(srv.Messages()); n != 5 {
		t.Errorf("%d messages; want 5", n)
	}
	if rejs := srv.Rejections(); len(rejs) != 3 || rejs[0].Stage != smtptest.StageMail || rejs[0].Reply.Code != 421 {
		t.Errorf("rejections %v", rejs)
	}
}

// TestRateLimitRecipientsAndConnections: recipients are counted at RCPT;
// connections at the greeting, which a client over the rate gets as 421
// and a closed connection; Concurrent caps those open at once.
func TestRateLimitRecipientsAndConnections(t *testing.T) {
	clock := smtptest.NewFakeClock(time.Now())
	srv := smtptest.NewServer(t, smtptest.RateLimit{Recipients: 3, Clock: clock})
	err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org", "c@example.org", "d@example.org", "e@example.org"}, []byte(completeMsg))
	var tp *textproto.Error
	if !errors.As(err, &tp) || tp.Code != 421 || !strings.Contains(tp.Msg, "Recipient rate") {
		t.Errorf("a fourth recipient: %v", err)
	}

	srv = smtptest.NewServer(t, smtptest.RateLimit{Connections: 1, Clock: clock})
	dial(t, srv, 220).cmd("QUIT", 221)
	c := dial(t, srv, 421)
	c.expectClosed()
	clock.Advance(time.Minute)
	dial(t, srv, 220)

	srv = smtptest.NewServer(t, smtptest.RateLimit{Concurrent: 2})
	first := dial(t, srv, 220)
	dial(t, srv, 220)
	dial(t, srv, 421).expectClosed()
	first.cmd("QUIT", 221)
	first.expectClosed() // the server lets a connection's place go before it closes the socket
	dial(t, srv, 220)
}

func TestRateLimitOptions(t *testing.T) {
	if srv, err := smtptest.Start(smtptest.RateLimit{Messages: -1}); err == nil {
		srv.Close()
		t.Error("a negative limit accepted")
	}
}
