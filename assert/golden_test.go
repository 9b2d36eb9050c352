package assert_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/assert"
)

// welcomeRun is the mail one run of a sender produces: the date, ids,
// boundary and token differ from run to run.
func welcomeRun(run int, word string) string {
	return fmt.Sprintf("Date: %s\r\nFrom: App <noreply@example.com>\r\nTo: ann@example.org\r\n"+
		"Message-ID: <%d.run@example.com>\r\nIn-Reply-To: <%d.run@example.com>\r\nSubject: Welcome\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/related; boundary=\"b%d\"\r\n\r\n"+
		"--b%d\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>%s <img src=\"cid:logo%d@example.com\"> https://example.com/verify?t=tok%dxyz</p>\r\n"+
		"--b%d\r\nContent-Type: image/png\r\nContent-ID: <logo%d@example.com>\r\nContent-Disposition: inline; filename=logo.png\r\n\r\nPNG\r\n"+
		"--b%d--\r\n", time.Date(2026, 12, run, 20, 0, 0, 0, time.UTC).Format(time.RFC1123Z), run*7, run*7, run, run, word, run, run, run, run, run)
}

func TestGolden(t *testing.T) {
	token := regexp.MustCompile(`t=tok\w+`)
	send := func(run int, word string) *smtptest.Server {
		return server(t, [3]string{"noreply@example.com", "ann@example.org", welcomeRun(run, word)})
	}
	first, second := send(1, "Hello"), send(2, "Hello")
	r1, r2 := assert.Render(first.Messages(), token), assert.Render(second.Messages(), token)
	if r1 != r2 {
		t.Fatalf("two runs render differently:\n%s\n---\n%s", r1, r2)
	}
	for _, want := range []string{"Date: [date]", "Message-Id: [message-id 1]", "In-Reply-To: [message-id 1]",
		`boundary="[boundary 1]"`, `cid:[content-id 1]`, "Content-Id: [content-id 1]", "[volatile 1]", "| <p>Hello", `attachment "logo.png" (image/png), 3 bytes, sha256`} {
		if !strings.Contains(r1, want) {
			t.Errorf("rendering lacks %q:\n%s", want, r1)
		}
	}

	t.Chdir(t.TempDir()) // golden files are written inside the test's directory only
	path := filepath.Join("testdata", "welcome.golden")
	// A missing file fails, with the command that writes it.
	wantFail(t, func(t testing.TB) bool { return assert.Golden(t, first, path, token) }, "no such file", "SMTPTEST_UPDATE_GOLDEN=1 go test -run")
	// Updating writes it.
	t.Setenv(assert.UpdateEnv, "1")
	ok, _ := check(t, func(t testing.TB) bool { return assert.Golden(t, first, path, token) })
	if b, err := os.ReadFile(path); !ok || err != nil || string(b) != r1 {
		t.Fatalf("update: %v, %v", ok, err)
	}
	t.Setenv(assert.UpdateEnv, "")
	// Another run matches it; a changed word fails with a readable diff.
	wantPass(t, func(t testing.TB) bool { return assert.Golden(t, second, path, token) })
	wantFail(t, func(t testing.TB) bool { return assert.Golden(t, send(3, "Goodbye"), path, token) },
		"welcome.golden differs from what was received (-file +received):", "Hello", "Goodbye", "SMTPTEST_UPDATE_GOLDEN=1")
	// Scoped: only ann's mail is rendered.
	both := server(t, [3]string{"noreply@example.com", "ann@example.org", welcomeRun(4, "Hello")}, [3]string{"noreply@example.com", "bob@example.org", welcomeRun(5, "Hi")})
	wantPass(t, func(t testing.TB) bool { return assert.To("ann@example.org").Golden(t, both, path, token) })
}

// TestGoldenUpdateIsSafe: only an explicit yes writes; an update with no
// mail fails instead of writing an empty file; a golden path that leads
// out of the test's directory, through ".." or a symbolic link, or names
// something other than a regular file, is refused and nothing outside is
// touched.
func TestGoldenUpdateIsSafe(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	srv := server(t, [3]string{"noreply@example.com", "ann@example.org", welcomeRun(1, "Hello")})
	golden := func(path string) func(testing.TB) bool {
		return func(t testing.TB) bool { return assert.Golden(t, srv, path) }
	}
	for _, v := range []string{"false", "no", "off", "0", "FALSE"} {
		t.Setenv(assert.UpdateEnv, v)
		wantFail(t, golden("testdata/a.golden"), "no such file")
	}
	t.Setenv(assert.UpdateEnv, "maybe")
	wantFail(t, golden("testdata/a.golden"), `SMTPTEST_UPDATE_GOLDEN="maybe": want 1, true, yes or on`)
	for _, v := range []string{"1", "true", "yes", "on", "TRUE"} {
		t.Setenv(assert.UpdateEnv, v)
		os.Remove("testdata/a.golden")
		if ok, out := check(t, golden("testdata/a.golden")); !ok || !strings.Contains(out, "wrote testdata/a.golden") {
			t.Errorf("%s=%s: %v %s", assert.UpdateEnv, v, ok, out)
		}
	}

	t.Setenv(assert.UpdateEnv, "1")
	empty := server(t)
	wantFail(t, func(t testing.TB) bool { return assert.Golden(t, empty, "testdata/empty.golden") }, "nothing to write", "no message received")
	if _, err := os.Stat("testdata/empty.golden"); err == nil {
		t.Error("an update with no mail wrote a file")
	}

	if err := os.Symlink(filepath.Dir(outside), "testdata/link"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, "testdata/file-link.golden"); err != nil {
		t.Fatal(err)
	}
	wantFail(t, golden("testdata/link/secret"), "leads through a symbolic link", "refused")
	wantFail(t, golden("testdata/file-link.golden"), "not a regular file")
	wantFail(t, golden("../secret.golden"), "outside the test's directory")
	wantFail(t, golden(outside), "outside the test's directory")
	if b, err := os.ReadFile(outside); err != nil || string(b) != "keep me" {
		t.Errorf("the file outside: %q, %v", b, err)
	}
}

// TestRenderEscapesDecodedLineBreaks: a Subject that decodes to a line
// break and another field does not render like a message that has that
// other field.
func TestRenderEscapesDecodedLineBreaks(t *testing.T) {
	smuggled := &smtptest.Message{Data: []byte("Subject: =?utf-8?q?hi=0D=0AX-Injected:_yes?=\r\n\r\nbody\r\n")}
	honest := &smtptest.Message{Data: []byte("Subject: hi\r\nX-Injected: yes\r\n\r\nbody\r\n")}
	a, b := assert.Render([]*smtptest.Message{smuggled}), assert.Render([]*smtptest.Message{honest})
	if a == b {
		t.Fatalf("both render as:\n%s", a)
	}
	if !strings.Contains(a, `Subject (escaped): "hi\r\nX-Injected: yes"`) {
		t.Errorf("rendering:\n%s", a)
	}
}

// TestRenderKeepsAMalformedDate: only an RFC 5322 date becomes [date]; a
// zone "UTC", a one-digit hour, a wrong day of the week stay, marked.
func TestRenderKeepsAMalformedDate(t *testing.T) {
	for date, want := range map[string]string{
		"Mon, 02 Mar 2026 09:30:00 +0000":       "Date: [date]",
		"Mon, 02 Mar 2026 09:30:00 +0000 (UTC)": "Date: [date]",
		"2 Mar 2026 09:30:00 GMT":               "Date: [date]",
		"Mon, 02 Mar 2026 09:30:00 UTC":         `Date (not an RFC 5322 date: zone "UTC"): Mon, 02 Mar 2026 09:30:00 UTC`,
		"Mon, 02 Mar 2026 9:30:00 +0000":        `Date (not an RFC 5322 date: time "9:30:00")`,
		"Tue, 02 Mar 2026 09:30:00 +0000":       "Date (not an RFC 5322 date: 02 Mar 2026 09:30:00 +0000 is a Monday)",
		"yesterday":                             "Date (not an RFC 5322 date: it does not parse): yesterday",
	} {
		r := assert.Render([]*smtptest.Message{{Data: []byte("Date: " + date + "\r\nSubject: x\r\n\r\nbody\r\n")}})
		if !strings.Contains(r, want) {
			t.Errorf("Date %q renders as:\n%s\nwant %q", date, r, want)
		}
	}
}
