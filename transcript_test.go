package smtptest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/internal/tbtest"
)

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
		"(made at transcript_test.go:",
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
