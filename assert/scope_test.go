package assert_test

import (
	"fmt"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/assert"
)

// TestScopedChecksOnASharedServer: parallel subtests share one server,
// each checks and waits for its own mail only, and a failure shows only
// its messages and connections.
func TestScopedChecksOnASharedServer(t *testing.T) {
	srv, err := smtptest.Start(smtptest.RejectRecipient("*@bad.example"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	t.Run("group", func(t *testing.T) {
		for i := range 8 {
			user := fmt.Sprintf("user%d@example.org", i)
			t.Run(user, func(t *testing.T) {
				t.Parallel()
				go smtp.SendMail(srv.Addr(), nil, "app@example.com", []string{user}, []byte("Subject: for "+user+"\r\n\r\nhi\r\n"))
				c := assert.To(user).Within(10 * time.Second)
				c.Delivered(t, srv, assert.Mail{To: []string{user}, Subject: "for " + user})
				c.Count(t, srv, 1)
				c.Rejected(t, srv) // nobody refused this test's mail
			})
		}
	})
	if n := len(srv.Messages()); n != 8 {
		t.Fatalf("%d messages", n)
	}

	// A failing scoped check: only ann's message and connection are shown.
	for _, to := range []string{"ann@example.org", "eve@bad.example"} {
		smtp.SendMail(srv.Addr(), nil, "app@example.com", []string{to}, []byte("Subject: for "+to+"\r\n\r\nhi\r\n"))
	}
	out := wantFail(t, func(t testing.TB) bool {
		return assert.To("ann@example.org").Delivered(t, srv, assert.Mail{Subject: "something else"})
	}, "1 message(s) received:", `subject "for ann@example.org"`, "SMTP transcript:", "C: RCPT TO:<ann@example.org>")
	if strings.Contains(out, "user3@example.org") || strings.Count(out, "conn ") > 3 {
		t.Errorf("the report shows other tests' mail:\n%s", out)
	}
	// A connection that tried to send to the address and was refused is
	// shown too.
	wantFail(t, func(t testing.TB) bool {
		return assert.To("eve@bad.example").Delivered(t, srv, assert.Mail{})
	}, "0 message(s) received:", "C: RCPT TO:<eve@bad.example>", "S: 550 5.1.1")
	// Rejections in scope: the address's own.
	wantPass(t, func(t testing.TB) bool {
		return assert.To("eve@bad.example").Rejected(t, srv, assert.Rejection{Stage: smtptest.StageRcpt, Arg: "eve@bad.example", Code: 550})
	})
	wantPass(t, func(t testing.TB) bool { return assert.To("ann@example.org").Rejected(t, srv) })
	// Where: any predicate.
	wantPass(t, func(t testing.TB) bool {
		return assert.Where(func(m *smtptest.Message) bool { return strings.HasPrefix(m.To[0], "user") }).Count(t, srv, 8)
	})
	// To and Where together.
	wantPass(t, func(t testing.TB) bool {
		return assert.To("user1@example.org").Where(func(m *smtptest.Message) bool { return m.From == "app@example.com" }).Count(t, srv, 1)
	})
	// A scoped wait that times out says so, and shows no one else's mail.
	wantFail(t, func(t testing.TB) bool {
		return assert.To("nobody@example.org").Within(20*time.Millisecond).Count(t, srv, 1)
	}, "got 0 message(s), want 1 (waited 20ms for message 1 to arrive)", "(no connection sent this test's mail)")
}
