package smtptest_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/smtptest/smtptest"
)

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
