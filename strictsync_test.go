package smtptest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/smtptest/smtptest"
)

// TestStrictSync: commands pipelined where RFC 2920 forbids it get 554
// 5.5.0 and a closed connection; MAIL, RCPT and DATA pipelined with
// PIPELINING advertised go through; without the option, the server is
// lenient as before.
func TestStrictSync(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.StrictSync{})
	c := dial(t, srv, 220)
	c.write("EHLO client.example\r\nMAIL FROM:<a@example.com>\r\n")
	if got := c.expect(554); got != "5.5.0 Error: SMTP protocol synchronization" {
		t.Errorf("EHLO and MAIL in one write: %q", got)
	}
	c.expectClosed()
	if rejs := srv.Rejections(); len(rejs) != 1 || rejs[0].Stage != smtptest.StageHelo || rejs[0].Reply.Code != 554 {
		t.Errorf("rejections %v", rejs)
	}

	c = dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.write("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n")
	c.expect(250)
	c.expect(250)
	c.expect(354)
	c.write(completeMsg + ".\r\n")
	c.expect(250)

	c.cmd("MAIL FROM:<a@example.com>", 250)
	c.cmd("RCPT TO:<b@example.org>", 250)
	c.write("DATA\r\n" + completeMsg + ".\r\n") // the body before the 354
	c.expect(554)
	c.expectClosed()
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages; want 1", n)
	}

	// Without PIPELINING advertised, no command may follow another
	// unanswered.
	srv = smtptest.NewServer(t, smtptest.StrictSync{}, smtptest.DisableExtensions("PIPELINING"))
	c = dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.write("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n")
	c.expect(554)
	c.expectClosed()

	// Without StrictSync, as before: lenient.
	srv = smtptest.NewServer(t)
	c = dial(t, srv, 220)
	c.write("EHLO client.example\r\nMAIL FROM:<a@example.com>\r\n")
	c.expect(250)
	c.expect(250)
}

// TestStrictSyncPregreet: with GreetPause, a client that talks before
// the greeting gets 554 5.5.0 instead of it (the wait ends when it
// talks); one that waits is greeted.
func TestStrictSyncPregreet(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.StrictSync{GreetPause: time.Minute})
	c := connect(t, srv)
	c.write("EHLO eager.example\r\n")
	if got := c.expect(554); got != "5.5.0 Error: SMTP protocol synchronization" {
		t.Errorf("pregreet: %q", got)
	}
	c.expectClosed()
	if rejs := srv.Rejections(); len(rejs) != 1 || rejs[0].Stage != smtptest.StageConnect {
		t.Errorf("rejections %v", rejs)
	}
	srv = smtptest.NewServer(t, smtptest.StrictSync{GreetPause: time.Millisecond})
	dial(t, srv, 220).cmd("EHLO patient.example", 250)
}

// TestStrictSyncPregreetMasks: what a client sent before the greeting is
// not in the transcript (it may hold a secret), only how much.
func TestStrictSyncPregreetMasks(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.StrictSync{GreetPause: time.Minute})
	c := connect(t, srv)
	c.write("AUTH PLAIN AGFwcABzM2NyZXQ=\r\n")
	c.expect(554)
	c.expectClosed()
	tr := srv.Transcript()
	if strings.Contains(tr, "AGFwcABzM2NyZXQ=") || !strings.Contains(tr, "bytes before the greeting") {
		t.Errorf("transcript:\n%s", tr)
	}
}
