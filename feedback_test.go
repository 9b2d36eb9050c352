package smtptest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/smtptest/smtptest"
)

func TestComplain(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.Domain("mx.mail.example"))
	sendWith(t, srv.Addr(), "bounces@shop.example", &smtp.MailOptions{EnvelopeID: "c-7"}, dsnTestMessage, nil, "ann@example.org", "bob@example.org")
	m := srv.WaitForMessages(1, ioBound)[0]

	n, err := srv.Complain(m, "bob@example.org", smtptest.Complaint{To: "fbl@shop.example"})
	if err != nil {
		t.Fatal(err)
	}
	if n.Kind != smtptest.KindFeedback || n.From != "" || n.To != "fbl@shop.example" {
		t.Errorf("notice %v <%s> -> <%s>", n.Kind, n.From, n.To)
	}
	r := readReport(t, n.Data)
	if r.reportType != "feedback-report" || r.header.Get("Subject") != "Abuse report: Your order" || r.header.Get("To") != "<fbl@shop.example>" {
		t.Errorf("report-type %q, Subject %q, To %q", r.reportType, r.header.Get("Subject"), r.header.Get("To"))
	}
	if ct, _, _ := r.parts[1].Header.ContentType(); ct != "message/feedback-report" {
		t.Errorf("second part %s", ct)
	}
	for k, want := range map[string]string{
		"Feedback-Type": "abuse", "Version": "1", "User-Agent": "smtptest/1",
		"Original-Mail-From": "<bounces@shop.example>", "Original-Rcpt-To": "<bob@example.org>",
		"Original-Envelope-Id": "c-7", "Reporting-MTA": "dns; mx.mail.example", "Source-IP": "127.0.0.1",
	} {
		if got := r.fields[0].Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if !strings.Contains(r.returned, "Thanks for your order.") {
		t.Errorf("returned:\n%s", r.returned)
	}

	n, err = srv.Complain(m, "ann@example.org", smtptest.Complaint{FeedbackType: "fraud", HeadersOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	r = readReport(t, n.Data)
	if ct, _, _ := r.parts[2].Header.ContentType(); ct != "text/rfc822-headers" || strings.Contains(r.returned, "Thanks") || n.To != "bounces@shop.example" || r.fields[0].Get("Feedback-Type") != "fraud" {
		t.Errorf("headers-only fraud report to <%s>: %s\n%s", n.To, ct, r.returned)
	}
}

func TestComplainRefusals(t *testing.T) {
	srv := smtptest.NewServer(t)
	sendWith(t, srv.Addr(), "", nil, dsnTestMessage, nil, "ann@example.org")
	m := srv.WaitForMessages(1, ioBound)[0]
	if _, err := srv.Complain(m, "ann@example.org", smtptest.Complaint{}); !errors.Is(err, smtptest.ErrNoNotice) {
		t.Errorf("complaint about a null-sender message with no To: %v", err)
	}
	if _, err := srv.Complain(m, "ann@example.org", smtptest.Complaint{To: "fbl@shop.example"}); err != nil {
		t.Errorf("complaint with a To: %v", err)
	}
	for _, tc := range []struct {
		rcpt string
		c    smtptest.Complaint
		want string
	}{
		{"zed@example.org", smtptest.Complaint{To: "fbl@shop.example"}, "<zed@example.org> is not a recipient"},
		{"ann@example.org", smtptest.Complaint{To: "fbl@shop.example", FeedbackType: "spam"}, `unknown FeedbackType "spam"`},
		{"ann@example.org", smtptest.Complaint{To: "not an address"}, `Complaint.To "not an address"`},
	} {
		if _, err := srv.Complain(m, tc.rcpt, tc.c); err == nil || errors.Is(err, smtptest.ErrNoNotice) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Complain(%s, %+v) = %v, want %q", tc.rcpt, tc.c, err, tc.want)
		}
	}
}
