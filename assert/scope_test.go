package assert_test

import (
	"fmt"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/assert"
	"github.com/smtptest/smtptest/lint"
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

// TestEveryCheckKeepsItsScope: each Checker method, scoped to ann, on a
// server that has only bob's mail (and bob's refusal): none may pass on
// bob's mail, with a wait or without. (Includes did: it looked at every
// message.)
func TestEveryCheckKeepsItsScope(t *testing.T) {
	bobs := "Date: Fri, 04 Dec 2026 10:00:00 +0000\r\nFrom: app@example.com\r\nTo: bob@example.org\r\nMessage-ID: <b@example.com>\r\nSubject: Welcome\r\n\r\nhi\r\n"
	srv := server(t, [3]string{"app@example.com", "bob@example.org", bobs})
	for _, scoped := range []assert.Checker{assert.To("ann@example.org"), assert.To("ann@example.org").Within(50 * time.Millisecond),
		assert.Where(func(m *smtptest.Message) bool { return m.To[0] == "ann@example.org" })} {
		anyMail := assert.Mail{Subject: "Welcome"}
		for name, f := range map[string]func(testing.TB) bool{
			"Delivered":           func(t testing.TB) bool { return scoped.Delivered(t, srv, anyMail) },
			"DeliveredInAnyOrder": func(t testing.TB) bool { return scoped.DeliveredInAnyOrder(t, srv, anyMail) },
			"Includes":            func(t testing.TB) bool { return scoped.Includes(t, srv, anyMail) },
			"Count":               func(t testing.TB) bool { return scoped.Count(t, srv, 1) },
			"DKIM":                func(t testing.TB) bool { return scoped.DKIM(t, srv, "") },
			"Golden":              func(t testing.TB) bool { return scoped.Golden(t, srv, "testdata/never-written.golden") },
			"Rejected":            func(t testing.TB) bool { return scoped.Rejected(t, srv, assert.Rejection{Stage: smtptest.StageRcpt}) },
			"IncludesRejections": func(t testing.TB) bool {
				return scoped.IncludesRejections(t, srv, assert.Rejection{Stage: smtptest.StageRcpt})
			},
		} {
			if ok, out := check(t, f); ok {
				t.Errorf("%s passed on mail out of scope:\n%s", name, out)
			}
		}
		// The checks that pass when nothing is in scope: they must not
		// see bob's mail either.
		wantPass(t, func(t testing.TB) bool { return scoped.NoMail(t, srv) })
		wantPass(t, func(t testing.TB) bool { return scoped.WellFormed(t, srv, lint.Strict()) }) // bob's lacks MIME fields: nothing of his is judged
	}
}

// TestSettled: a background job that sends two more than expected passes
// Within(d).Count(n), which returns as soon as n arrived; with Settled it
// fails, having waited until the mail stopped.
func TestSettled(t *testing.T) {
	srv := server(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 5 {
			smtp.SendMail(srv.Addr(), nil, "app@example.com", []string{"ann@example.org"}, []byte(fmt.Sprintf("Subject: %d\r\n\r\nhi\r\n", i)))
		}
	}()
	wantFail(t, func(t testing.TB) bool {
		return assert.Within(10*time.Second).Settled(2*time.Second).To("ann@example.org").Count(t, srv, 3)
	}, "got 5 message(s), want 3")
	<-done
	wantPass(t, func(t testing.TB) bool { return assert.Settled(50*time.Millisecond).Count(t, srv, 5) })
}
