package smtptest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/lint"
)

func TestAutoReply(t *testing.T) {
	srv := smtptest.NewServer(t)
	sendWith(t, srv.Addr(), "bounces@shop.example", nil, dsnTestMessage, nil, "ann@example.org")
	m := srv.WaitForMessages(1, ioBound)[0]

	n, err := srv.AutoReply(m, "Ann@example.org", "Back on Monday — Ann")
	if err != nil {
		t.Fatal(err)
	}
	if n.Kind != smtptest.KindAutoReply || n.From != "" || n.To != "bounces@shop.example" {
		t.Errorf("notice %v <%s> -> <%s>", n.Kind, n.From, n.To)
	}
	for _, p := range lint.Check(n.Data) {
		if p.Severity == lint.Error {
			t.Errorf("lint: %v", p)
		}
	}
	inbound := smtptest.NewServer(t)
	if err := n.Send(t.Context(), inbound.Addr()); err != nil {
		t.Fatal(err)
	}
	got := inbound.WaitForMessages(1, ioBound)[0]
	h, err := got.Header()
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"From": "<ann@example.org>", "To": "<bounces@shop.example>", "Subject": "Auto: Your order",
		"Auto-Submitted": "auto-replied", "In-Reply-To": "<order-1@shop.example>", "References": "<order-1@shop.example>",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if body, err := got.TextBody(); err != nil || body != "Back on Monday — Ann\r\n" {
		t.Errorf("body %q, %v", body, err)
	}
	if got.From != "" {
		t.Errorf("sent from <%s>, want <>", got.From)
	}
}

func TestAutoReplySilent(t *testing.T) {
	srv := smtptest.NewServer(t)
	header := func(extra string) string {
		return strings.Replace(dsnTestMessage, "Subject:", extra+"\r\nSubject:", 1)
	}
	for _, tc := range []struct {
		name, from, msg, rcpt, want string
	}{
		{"null sender", "", dsnTestMessage, "ann@example.org", "null sender"},
		{"auto-submitted", "app@shop.example", header("Auto-Submitted: auto-generated"), "ann@example.org", "Auto-Submitted: auto-generated"},
		{"list", "app@shop.example", header("List-Id: <news.shop.example>"), "ann@example.org", "list mail (List-Id)"},
		{"unsubscribe", "app@shop.example", header("List-Unsubscribe: <https://shop.example/u>"), "ann@example.org", "list mail (List-Unsubscribe)"},
		{"bulk", "app@shop.example", header("Precedence: bulk"), "ann@example.org", "Precedence: bulk"},
		{"mailer-daemon", "MAILER-DAEMON@shop.example", dsnTestMessage, "ann@example.org", "mail system or list address"},
		{"list owner", "owner-news@shop.example", dsnTestMessage, "ann@example.org", "mail system or list address"},
		{"bcc", "app@shop.example", dsnTestMessage, "hidden@example.org", "do not name <hidden@example.org>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.Reset()
			sendWith(t, srv.Addr(), tc.from, nil, tc.msg, nil, tc.rcpt)
			m := srv.WaitForMessages(1, ioBound)[0]
			n, err := srv.AutoReply(m, tc.rcpt, "")
			if n != nil || !errors.Is(err, smtptest.ErrNoNotice) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("AutoReply = %v, %v; want ErrNoNotice with %q", n, err, tc.want)
			}
		})
	}
	// Auto-Submitted: no is a person's mail.
	srv.Reset()
	sendWith(t, srv.Addr(), "app@shop.example", nil, header("Auto-Submitted: no"), nil, "ann@example.org")
	if _, err := srv.AutoReply(srv.WaitForMessages(1, ioBound)[0], "ann@example.org", ""); err != nil {
		t.Errorf("Auto-Submitted: no: %v", err)
	}
}
