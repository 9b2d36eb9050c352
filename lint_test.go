package smtptest_test

import (
	"net/smtp"
	"strings"
	"testing"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/lint"
)

const completeMsg = "Date: Tue, 01 Dec 2026 20:00:00 +0000\r\nFrom: a@example.com\r\nTo: b@example.org\r\n" +
	"Subject: Hi\r\nMessage-ID: <hi-1@example.com>\r\n\r\nHello.\r\n"

func TestRejectMalformed(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.RejectMalformed())
	sendMail(t, srv, "a@example.com", []string{"b@example.org"}, completeMsg)
	err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte("Subject: no date\r\n\r\nhi\r\n"))
	if smtpCode(err) != 550 || !strings.Contains(err.Error(), "5.7.1 the message has no Date field (RFC 5322 3.6)") {
		t.Errorf("malformed message: %v, want 550 5.7.1 <text> (<ref>)", err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages recorded, want only the complete one", n)
	}
	rejs := srv.Rejections()
	if len(rejs) != 1 || rejs[0].Stage != smtptest.StageEndOfData || rejs[0].Reply.Code != 550 {
		t.Errorf("Rejections() = %v", rejs)
	}

	// Warnings pass; options go to lint (here: ignore the Date rule).
	lax := smtptest.NewServer(t, smtptest.RejectMalformed(lint.Ignore("header/date-missing", "header/from-missing")))
	sendMail(t, lax, "a@example.com", []string{"b@example.org"}, "Subject: no date\r\n\r\nhi\r\n")
}

func TestRejectMalformedReplyIsOneASCIILine(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.RejectMalformed())
	c := dial(t, srv, 220)
	c.cmd("EHLO x", 250)
	c.cmd("MAIL FROM:<a@example.com> SMTPUTF8", 250)
	c.cmd("RCPT TO:<b@example.org>", 250)
	c.cmd("DATA", 354)
	// Raw UTF-8 is fine over SMTPUTF8; a Latin-1 byte is not.
	c.write(strings.Replace(completeMsg, "Subject: Hi", "Subject: Caf\xe9 "+strings.Repeat("ü", 300), 1) + ".\r\n")
	text := c.expect(550)
	if !strings.HasPrefix(text, "5.7.1 Subject is not valid UTF-8") || len(text) > 510 {
		t.Errorf("reply %q", text)
	}
	for _, r := range text {
		if r > '~' {
			t.Fatalf("non-ASCII in the reply: %q", text)
		}
	}
}

func TestMessageLintUsesTheEnvelope(t *testing.T) {
	srv := smtptest.NewServer(t)
	c := dial(t, srv, 220)
	c.cmd("EHLO x", 250)
	body := strings.Replace(completeMsg, "Subject: Hi", "Subject: Café", 1) + "Café\r\n"
	c.cmd("MAIL FROM:<a@example.com> SMTPUTF8 BODY=8BITMIME", 250)
	c.cmd("RCPT TO:<b@example.org>", 250)
	c.cmd("DATA", 354)
	c.write(body + ".\r\n")
	c.expect(250)
	c.cmd("MAIL FROM:<a@example.com>", 250)
	c.cmd("RCPT TO:<b@example.org>", 250)
	c.cmd("DATA", 354)
	c.write(body + ".\r\n")
	c.expect(250)
	msgs := srv.Messages()
	if ps := msgs[0].Lint(); len(ps) != 1 || ps[0].Rule != "body/8bit-undeclared" {
		t.Errorf("with SMTPUTF8 and 8BITMIME: %v", ps)
	}
	var rules []string
	for _, p := range msgs[1].Lint() {
		rules = append(rules, p.Rule)
	}
	if strings.Join(rules, " ") != "header/8bit body/8bit" {
		t.Errorf("without: %v", rules)
	}
}

// TestLintGivesMailFrom: Message.Lint tells lint the envelope's MAIL
// FROM, so the bulk-sender profile judges its alignment with From.
func TestLintGivesMailFrom(t *testing.T) {
	srv := smtptest.NewServer(t)
	msg := "From: News <news@example.com>\r\nTo: ann@example.org\r\nSubject: News\r\nDate: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n\r\nHello.\r\n"
	if err := smtp.SendMail(srv.Addr(), nil, "bounces@esp.example.net", []string{"ann@example.org"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range srv.Messages()[0].Lint(lint.BulkSender()) {
		found = found || p.Rule == "dmarc/spf-not-aligned"
	}
	if !found {
		t.Errorf("no dmarc/spf-not-aligned for MAIL FROM bounces@esp.example.net and From news@example.com: %v", srv.Messages()[0].Lint(lint.BulkSender()))
	}
}
