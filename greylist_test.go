package smtptest_test

import (
	"errors"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/smtptest/smtptest"
)

// TestGreylist: the first attempt of a triplet is refused 451 4.7.1, a
// retry too soon too, a retry after Delay is accepted (the fake clock
// advanced: no sleep), and the triplet then passes at once; another
// recipient starts its own wait.
func TestGreylist(t *testing.T) {
	clock := smtptest.NewFakeClock(time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC))
	srv := smtptest.NewServer(t, smtptest.Greylist{Delay: 5 * time.Minute, Clock: clock})
	msg := []byte(completeMsg)
	send := func(to string) error {
		return smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{to}, msg)
	}
	var tp *textproto.Error
	if err := send("b@example.org"); !errors.As(err, &tp) || tp.Code != 451 || !strings.HasPrefix(tp.Msg, "4.7.1 Greylisted") {
		t.Fatalf("first attempt: %v", err)
	}
	clock.Advance(4 * time.Minute)
	if err := send("B@example.org"); !errors.As(err, &tp) || tp.Code != 451 {
		t.Fatalf("a retry after 4 minutes (the same triplet, the address in another case): %v", err)
	}
	clock.Advance(time.Minute)
	if err := send("b@example.org"); err != nil {
		t.Fatalf("a retry after 5 minutes: %v", err)
	}
	if err := send("b@example.org"); err != nil {
		t.Fatalf("the triplet once passed: %v", err)
	}
	if err := send("c@example.org"); !errors.As(err, &tp) || tp.Code != 451 {
		t.Fatalf("another recipient: %v", err)
	}
	if n := len(srv.Messages()); n != 2 {
		t.Errorf("%d messages recorded; want the 2 accepted", n)
	}
	rejs := srv.Rejections()
	if len(rejs) != 3 || rejs[0].Stage != smtptest.StageRcpt || rejs[0].Arg != "b@example.org" || rejs[0].Reply.Code != 451 || rejs[2].Arg != "c@example.org" {
		t.Errorf("rejections: %v", rejs)
	}
}

// TestGreylistOneTransaction: in one transaction, a recipient whose
// triplet passed is accepted and a new one refused; the message goes to
// the first.
func TestGreylistOneTransaction(t *testing.T) {
	clock := smtptest.NewFakeClock(time.Now())
	srv := smtptest.NewServer(t, smtptest.Greylist{Clock: clock})
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.cmd("MAIL FROM:<a@example.com>", 250)
	c.cmd("RCPT TO:<b@example.org>", 451)
	c.cmd("RSET", 250)
	clock.Advance(time.Second) // the default Delay
	c.cmd("MAIL FROM:<a@example.com>", 250)
	c.cmd("RCPT TO:<b@example.org>", 250)
	c.cmd("RCPT TO:<c@example.org>", 451)
	c.cmd("DATA", 354)
	c.write(completeMsg + ".\r\n")
	c.expect(250)
	if msgs := srv.Messages(); len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != "b@example.org" {
		t.Errorf("messages %v", msgs)
	}
}

func TestGreylistOptions(t *testing.T) {
	for _, g := range []smtptest.Greylist{
		{Delay: -time.Second},
		{Reply: &gosmtp.SMTPError{Code: 550, Message: "no"}},
	} {
		if srv, err := smtptest.Start(g); err == nil {
			srv.Close()
			t.Errorf("%+v accepted", g)
		}
	}
}
