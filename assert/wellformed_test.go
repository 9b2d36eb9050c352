package assert_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/smtptest/smtptest/assert"
	"github.com/smtptest/smtptest/lint"
)

const wellFormed = "Date: Tue, 01 Dec 2026 20:00:00 +0000\r\n" +
	"From: App <noreply@example.com>\r\n" +
	"To: ann@example.org\r\n" +
	"Subject: Welcome\r\n" +
	"Message-ID: <welcome-1@example.com>\r\n" +
	"\r\n" +
	"Hello Ann.\r\n"

func TestWellFormed(t *testing.T) {
	good := server(t, [3]string{"noreply@example.com", "ann@example.org", wellFormed})
	wantPass(t, func(t testing.TB) bool { return assert.WellFormed(t, good) })

	// welcome has no Date or Message-ID; plain neither, and no From.
	bad := server(t, [3]string{"noreply@example.com", "ann@example.org", welcome}, [3]string{"a@example.com", "b@example.org", plain})
	wantFail(t, func(t testing.TB) bool { return assert.WellFormed(t, bad) },
		"assert.WellFormed: 3 error(s), 2 warning(s) in 2 message(s):",
		"in 2 messages:\n  error header/date-missing (RFC 5322 3.6): the message has no Date field",
		"messages 1 (ID 1, to ann@example.org), 2 (ID 2, to b@example.org)",
		"warning header/message-id-missing",
		"message 2 (from <a@example.com>",
		"error header/from-missing",
	)

	// A bulk send with one defect: said once, with the messages.
	var digest [][3]string
	for i := range 50 {
		digest = append(digest, [3]string{"news@example.com", fmt.Sprintf("user%d@example.org", i), welcome})
	}
	bulk := server(t, digest...)
	out := wantFail(t, func(t testing.TB) bool { return assert.WellFormed(t, bulk) },
		"assert.WellFormed: 50 error(s), 50 warning(s) in 50 message(s):", "in 50 messages:", "and 40 more")
	if n := strings.Count(out, "header/date-missing"); n != 1 {
		t.Errorf("the shared problem is listed %d times:\n%s", n, out)
	}
	if before, _, _ := strings.Cut(out, "SMTP transcript"); strings.Count(before, "\n") > 20 {
		t.Errorf("a 50-message report of one defect takes %d lines:\n%s", strings.Count(before, "\n"), before)
	}

	// Warnings alone pass, and are logged.
	noID := server(t, [3]string{"a@example.com", "b@example.org", "Date: Tue, 01 Dec 2026 20:00:00 +0000\r\nFrom: a@example.com\r\n\r\nhi\r\n"})
	ok, out := check(t, func(t testing.TB) bool { return assert.WellFormed(t, noID) })
	if !ok || !contains(out, "assert.WellFormed: 1 warning(s) in 1 message(s):") || !contains(out, "header/message-id-missing") {
		t.Errorf("warnings only: ok %v, log:\n%s", ok, out)
	}
	// lint.Strict makes them fail; the line's text is shown.
	wantFail(t, func(t testing.TB) bool { return assert.WellFormed(t, noID, lint.Strict()) }, "error header/message-id-missing")
	long := server(t, [3]string{"a@example.com", "b@example.org", wellFormed[:len(wellFormed)-len("Hello Ann.\r\n")] + "x\rz\r\n"})
	wantFail(t, func(t testing.TB) bool { return assert.WellFormed(t, long) }, "line 7: error line/bare-cr", `| "x\rz"`)
}

func contains(s, sub string) bool { return strings.Contains(squash(s), squash(sub)) }
