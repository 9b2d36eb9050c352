package lint

import (
	"slices"
	"testing"
)

// TestBulkFields: List-Id, Auto-Submitted and (BulkSender) Feedback-ID,
// each with a field that must be reported and one that must not.
func TestBulkFields(t *testing.T) {
	head := "From: News <news@example.com>\r\nTo: ann@example.org\r\nSubject: News\r\nDate: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n"
	for _, c := range []struct {
		rule, bad, fine string
		opts            []Option
	}{
		{"list/list-id-syntax", "List-Id: news@example.com Mailing List\r\n", "List-Id: Weekly news <weekly.news.example.com>\r\n", nil},
		{"list/list-id-syntax", "List-Id: <nodot>\r\n", "List-Id: <list.localhost>\r\n", nil},
		{"list/list-id-syntax", "List-Id: <a.b>\r\nList-Id: <c.d>\r\n", "List-Id: \"The list\" (a comment) <a.b>\r\n", nil},
		{"header/auto-submitted-syntax", "Auto-Submitted: auto replied\r\n", "Auto-Submitted: auto-replied\r\n", nil},
		{"header/auto-submitted-syntax", "Auto-Submitted: auto-generated; x\r\n", "Auto-Submitted: auto-generated; owner-email=\"a@example.com\"\r\n", nil},
		{"header/auto-submitted-syntax", "Auto-Submitted: no\r\nAuto-Submitted: no\r\n", "Auto-Submitted: no (a comment)\r\n", nil},
		{"list/feedback-id", "Feedback-ID: a:b:c:d:e\r\n", "Feedback-ID: welcome:ann:transactional:app\r\n", []Option{BulkSender()}},
		{"list/feedback-id", "Feedback-ID: campaign:\r\n", "Feedback-ID: app\r\n", []Option{BulkSender()}},
	} {
		bad := Check([]byte(head+c.bad+"\r\nHello.\r\n"), c.opts...)
		if !slices.Contains(rulesOf(bad), c.rule) {
			t.Errorf("%q: %s not reported: %v", c.bad, c.rule, bad)
		}
		fine := Check([]byte(head+c.fine+"\r\nHello.\r\n"), c.opts...)
		if slices.Contains(rulesOf(fine), c.rule) {
			t.Errorf("%q: %s reported: %v", c.fine, c.rule, fine)
		}
	}
	// Unsigned by the DKIM signature there is: reported with BulkSender
	// (dkim/missing covers a message with no signature at all), never
	// without it.
	signed := head + "Feedback-ID: app\r\nDKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1; h=from:subject; bh=x; b=y\r\n\r\nHello.\r\n"
	if !slices.Contains(rulesOf(Check([]byte(signed), BulkSender())), "list/feedback-id") {
		t.Errorf("an unsigned Feedback-ID: %v", Check([]byte(signed), BulkSender()))
	}
	if slices.Contains(rulesOf(Check([]byte(signed))), "list/feedback-id") {
		t.Error("Feedback-ID judged without BulkSender")
	}
}

// TestMailFromAlignment: with BulkSender and MailFrom, a MAIL FROM
// outside From's organizational domain is reported; a subdomain of it,
// the null sender, or no MailFrom is not.
func TestMailFromAlignment(t *testing.T) {
	msg := []byte("From: News <news@example.com>\r\nTo: ann@example.org\r\nSubject: News\r\nDate: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n\r\nHello.\r\n")
	for _, c := range []struct {
		mailFrom string
		bulk     bool
		want     bool
	}{
		{"bounces@esp.example.net", true, true},
		{"bounces@mail.example.com", true, false},
		{"bounces@EXAMPLE.com", true, false},
		{"", true, false},
		{"bounces@esp.example.net", false, false},
	} {
		opts := []Option{MailFrom(c.mailFrom)}
		if c.bulk {
			opts = append(opts, BulkSender())
		}
		got := slices.Contains(rulesOf(Check(msg, opts...)), "dmarc/spf-not-aligned")
		if got != c.want {
			t.Errorf("MAIL FROM %q, bulk %v: reported %v", c.mailFrom, c.bulk, got)
		}
	}
}
