package interop

import (
	"errors"
	"strings"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/smtptest/smtptest"
)

// The receiver behaviours met by go-mail, as an app using it meets them:
// the error it gets, and what happens when it tries again.

func goMailMsg(t *testing.T, to string) *gomail.Msg {
	m := gomail.NewMsg()
	must(t, m.From(sender))
	must(t, m.To(to))
	m.Subject(subject("go-mail receivers"))
	m.SetBodyString(gomail.TypeTextPlain, textBody)
	return m
}

func goMailClient(t *testing.T, srv *smtptest.Server, opts ...gomail.Option) *gomail.Client {
	host, port := hostPort(t, srv)
	c, err := gomail.NewClient(host, append([]gomail.Option{gomail.WithPort(port), gomail.WithTLSPolicy(gomail.NoTLS)}, opts...)...)
	must(t, err)
	return c
}

// TestGoMailGreylisted: go-mail's error for a greylisted message is a
// temporary one (451 4.7.1), and the retry after the delay gets through.
func TestGoMailGreylisted(t *testing.T) {
	clock := smtptest.NewFakeClock(time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC))
	srv := smtptest.NewServer(t, smtptest.Greylist{Delay: 5 * time.Minute, Clock: clock})
	c := goMailClient(t, srv)
	err := c.DialAndSend(goMailMsg(t, recipient))
	var se *gomail.SendError
	if !errors.As(err, &se) || !se.IsTemp() || se.ErrorCode() != 451 || se.EnhancedStatusCode() != "4.7.1" {
		t.Fatalf("first attempt: %v; want a temporary 451 4.7.1", err)
	}
	clock.Advance(5 * time.Minute)
	must(t, c.DialAndSend(goMailMsg(t, recipient)))
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages after the retry", n)
	}
}

// TestGoMailRateLimited: the second message in a minute is refused 421
// and the connection closed; a new connection after the window gets
// through.
func TestGoMailRateLimited(t *testing.T) {
	clock := smtptest.NewFakeClock(time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC))
	srv := smtptest.NewServer(t, smtptest.RateLimit{Messages: 1, Period: time.Minute, Clock: clock})
	c := goMailClient(t, srv)
	must(t, c.DialAndSend(goMailMsg(t, recipient)))
	err := c.DialAndSend(goMailMsg(t, recipient))
	var se *gomail.SendError
	if !errors.As(err, &se) || !se.IsTemp() || se.ErrorCode() != 421 {
		t.Fatalf("second message at once: %v; want a temporary 421", err)
	}
	clock.Advance(time.Minute)
	must(t, c.DialAndSend(goMailMsg(t, recipient)))
	if n := len(srv.Messages()); n != 2 {
		t.Errorf("%d messages", n)
	}
}

// TestGoMailBounced: go-mail asks for DSNs (NOTIFY=FAILURE,DELAY, RET=HDRS);
// the message is accepted, the delay warning comes at once and the
// bounce after the delay, at the app's inbound server, both honouring
// what go-mail asked.
func TestGoMailBounced(t *testing.T) {
	inbound := smtptest.NewServer(t)
	clock := smtptest.NewFakeClock(time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC))
	srv := smtptest.NewServer(t, smtptest.Bounces{Match: "*@gone.example", Delay: 4 * time.Hour, Clock: clock, SendTo: inbound.Addr()})
	c := goMailClient(t, srv, gomail.WithDSN(), gomail.WithDSNMailReturnType(gomail.DSNMailReturnHeadersOnly),
		gomail.WithDSNRcptNotifyType(gomail.DSNRcptNotifyFailure, gomail.DSNRcptNotifyDelay))
	must(t, c.DialAndSend(goMailMsg(t, "ann@gone.example")))
	warning := inbound.WaitForMessages(1, 20*time.Second)[0]
	if s := string(warning.Data); !strings.Contains(s, "Action: delayed") || !strings.Contains(s, "text/rfc822-headers") {
		t.Errorf("the delay warning:\n%s", s)
	}
	clock.Advance(4 * time.Hour)
	dsn := inbound.WaitForMessages(2, 20*time.Second)[1]
	if s := string(dsn.Data); !strings.Contains(s, "Action: failed") || !strings.Contains(s, "Final-Recipient: rfc822; ann@gone.example") || strings.Contains(s, textBody) {
		t.Errorf("the bounce:\n%s", s)
	}
	if dsn.From != "" || dsn.To[0] != sender {
		t.Errorf("the bounce went <%s> -> %v, want <> -> %s", dsn.From, dsn.To, sender)
	}
}
