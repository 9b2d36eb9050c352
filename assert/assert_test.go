package assert_test

import (
	"errors"
	"fmt"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.uber.org/goleak"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/assert"
	"github.com/smtptest/smtptest/internal/tbtest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const welcome = "From: App <noreply@example.com>\r\n" +
	"To: ann@example.org\r\n" +
	"Subject: =?utf-8?q?Welcome=2C_Ann?=\r\n" +
	"X-Campaign: signup\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
	"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello Ann,\r\nclick https://example.com/verify?t=abc123 to verify.\r\n" +
	"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello Ann, <a href=\"https://example.com/verify?t=abc123\">verify</a></p>\r\n" +
	"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=terms.pdf\r\n\r\n%PDF-1.4\r\n" +
	"--b--\r\n"

const plain = "Subject: Reminder\r\n\r\nDon't forget.\r\n"

// server starts a server and sends msgs to it, each as from -> to.
func server(t *testing.T, msgs ...[3]string) *smtptest.Server {
	t.Helper()
	srv := smtptest.NewServer(t)
	for _, m := range msgs {
		if err := smtp.SendMail(srv.Addr(), nil, m[0], []string{m[1]}, []byte(m[2])); err != nil {
			t.Fatal(err)
		}
	}
	return srv
}

// check runs f with a fake t and returns whether f's helper passed, and
// what it reported.
func check(t *testing.T, f func(t testing.TB) bool) (bool, string) {
	t.Helper()
	var ok bool
	tb := tbtest.Run(t, func(tb *tbtest.TB) { ok = f(tb) })
	if ok != !tb.Failed() {
		t.Errorf("the helper returned %v but reported failed=%v", ok, tb.Failed())
	}
	return ok, tb.Text()
}

// squash collapses each run of spaces and tabs (and the no-break spaces
// go-cmp indents with at random) to one space: tests check what a report
// says, not go-cmp's layout, which is deliberately unstable.
func squash(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\u00a0' }), " ")
}

// wantPass fails t unless the helper passed without a report.
func wantPass(t *testing.T, f func(t testing.TB) bool) {
	t.Helper()
	if ok, out := check(t, f); !ok || out != "" {
		t.Errorf("want a pass, got:\n%s", out)
	}
}

// wantFail fails t unless the helper failed with a report that contains
// each of want.
func wantFail(t *testing.T, f func(t testing.TB) bool, want ...string) string {
	t.Helper()
	ok, out := check(t, f)
	if ok {
		t.Errorf("want a failure, the helper passed")
	}
	for _, w := range want {
		if !strings.Contains(squash(out), squash(w)) {
			t.Errorf("report lacks %q:\n%s", w, out)
		}
	}
	return out
}

var fullWelcome = assert.Mail{
	From:    "noreply@EXAMPLE.com", // domains compare without case
	To:      []string{"ann@example.org"},
	Subject: "Welcome, Ann",
	Header:  map[string]string{"x-campaign": "signup", "From": "App <noreply@example.com>"},
	Text:    assert.Exactly("Hello Ann,\nclick https://example.com/verify?t=abc123 to verify.\n"),
	HTML:    assert.Matching(`href="https://example\.com/verify\?t=\w+"`),
	Attachments: []smtptest.Attachment{
		{Filename: "terms.pdf", ContentType: "application/PDF", Data: []byte("%PDF-1.4")},
	},
}

func TestDeliveredPasses(t *testing.T) {
	srv := server(t, [3]string{"noreply@example.com", "ann@example.org", welcome}, [3]string{"bot@example.com", "bob@example.org", plain})
	wantPass(t, func(t testing.TB) bool {
		return assert.Delivered(t, srv, fullWelcome, assert.Mail{Subject: "Reminder", Text: assert.Containing("forget")})
	})
	// Zero fields are not compared.
	wantPass(t, func(t testing.TB) bool { return assert.Delivered(t, srv, assert.Mail{}, assert.Mail{}) })
}

func TestDeliveredReportsTheDiffWhatArrivedAndTheTranscript(t *testing.T) {
	srv := server(t, [3]string{"noreply@example.com", "ann@example.org", welcome})
	want := fullWelcome
	want.Subject = "Welcome, Bob"
	want.Text = assert.Containing("Hello Bob")
	wantFail(t, func(t testing.TB) bool { return assert.Delivered(t, srv, want) },
		"assert.Delivered: message 1 of 1 mismatch (-want +got):",
		`- 	Subject: "Welcome, Bob"`,
		`+ 	Subject: "Welcome, Ann"`,
		`- 	Text:  s`+"`"+`containing "Hello Bob"`,
		`+ 	Text:  s"Hello Ann,\r\nclick https://example.com/verify?t=abc123 to verify."`,
		"1 message(s) received:",
		`  1. from <noreply@example.com> to <ann@example.org> subject "Welcome, Ann"`,
		"SMTP transcript:",
		"C: MAIL FROM:<noreply@example.com>",
	)
}

func TestDeliveredFieldByField(t *testing.T) {
	srv := server(t, [3]string{"noreply@example.com", "ann@example.org", welcome})
	tests := []struct {
		name string
		want assert.Mail
		diff []string
	}{
		{"sender", assert.Mail{From: "other@example.com"}, []string{`- 	From: "other@example.com"`, `+ 	From: "noreply@example.com"`}},
		{"local part is case-sensitive", assert.Mail{To: []string{"Ann@example.org"}}, []string{`- 	To: []string{"Ann@example.org"}`}},
		{"null sender", assert.Mail{From: assert.NullSender}, []string{`- 	From: "<>"`, `+ 	From: "noreply@example.com"`}},
		{"a recipient more", assert.Mail{To: []string{"ann@example.org", "bob@example.org"}}, []string{`"bob@example.org"`}},
		{"header value", assert.Mail{Header: map[string]string{"X-Campaign": "promo"}}, []string{`"X-Campaign": "promo"`, `"X-Campaign": "signup"`}},
		{"missing header", assert.Mail{Header: map[string]string{"List-Unsubscribe": "<mailto:u@example.com>"}}, []string{`- Header: map[string]string{"List-Unsubscribe": "<mailto:u@example.com>"}`, `+ Header: map[string]string{}`}},
		{"exact text", assert.Mail{Text: assert.Exactly("Hello Ann")}, []string{"- 	Text: s\"Hello Ann\"", "+ 	Text: s\"Hello Ann,\\r\\nclick"}},
		{"regexp", assert.Mail{HTML: assert.Matching(`token=\d+`)}, []string{"- 	HTML: s`matching /token=\\d+/`"}},
		{"attachment name", assert.Mail{Attachments: []smtptest.Attachment{{Filename: "tos.pdf"}}}, []string{`- 		Filename:    "tos.pdf"`, `+ 		Filename:    "terms.pdf"`}},
		{"attachment size", assert.Mail{Attachments: []smtptest.Attachment{{Filename: "terms.pdf", Size: 1}}}, []string{`- 		Size:        1`}},
		{"no attachments wanted", assert.Mail{Attachments: []smtptest.Attachment{}}, []string{`- Attachments: []smtptest.Attachment{}`, `Filename: "terms.pdf"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantFail(t, func(t testing.TB) bool { return assert.Delivered(t, srv, tt.want) }, tt.diff...)
		})
	}
}

func TestDeliveredNullSender(t *testing.T) {
	srv := server(t, [3]string{"", "ann@example.org", plain})
	wantPass(t, func(t testing.TB) bool { return assert.Delivered(t, srv, assert.Mail{From: assert.NullSender}) })
	wantFail(t, func(t testing.TB) bool { return assert.Delivered(t, srv, assert.Mail{From: "bounce@example.com"}) },
		`- 	From: "bounce@example.com"`, `+ 	From: "<>"`)
}

func TestDeliveredMissingBodyIsShown(t *testing.T) {
	srv := server(t, [3]string{"a@example.com", "b@example.org", plain})
	wantFail(t, func(t testing.TB) bool { return assert.Delivered(t, srv, assert.Mail{HTML: assert.Containing("<p>")}) },
		"smtptest: no such MIME part: the message has no text/html body")
}

func TestDeliveredCountAndOrder(t *testing.T) {
	srv := server(t, [3]string{"a@example.com", "b@example.org", welcome}, [3]string{"c@example.com", "d@example.org", plain})
	wantFail(t, func(t testing.TB) bool { return assert.Delivered(t, srv, assert.Mail{Subject: "Welcome, Ann"}) },
		"assert.Delivered: got 2 message(s), want 1 (-want +got):",
		`+ 	{From: "c@example.com", To: []string{"d@example.org"}, Subject: "Reminder"}`)
	wantFail(t, func(t testing.TB) bool {
		return assert.Delivered(t, srv, assert.Mail{Subject: "Reminder"}, assert.Mail{Subject: "Welcome, Ann"})
	}, "message 1 of 2 mismatch", "message 2 of 2 mismatch")
	wantFail(t, func(t testing.TB) bool {
		return assert.Delivered(t, srv, assert.Mail{}, assert.Mail{}, assert.Mail{Subject: "Third"})
	}, "got 2 message(s), want 3", `- 	{Subject: "Third"}`)
}

func TestDeliveredInAnyOrder(t *testing.T) {
	srv := server(t, [3]string{"a@example.com", "b@example.org", welcome}, [3]string{"c@example.com", "d@example.org", plain})
	wantPass(t, func(t testing.TB) bool {
		return assert.DeliveredInAnyOrder(t, srv, assert.Mail{Subject: "Reminder"}, assert.Mail{Subject: "Welcome, Ann"})
	})
	// The general expectation must not take the message the specific one
	// needs: the assignment finds a way.
	wantPass(t, func(t testing.TB) bool {
		return assert.DeliveredInAnyOrder(t, srv, assert.Mail{}, assert.Mail{From: "a@example.com"})
	})
	wantFail(t, func(t testing.TB) bool {
		return assert.DeliveredInAnyOrder(t, srv, assert.Mail{Subject: "Reminder"}, assert.Mail{Subject: "Goodbye"})
	}, "assert.DeliveredInAnyOrder: no message matches expectation 2 of 2; the closest is message 1 (-want +got):",
		`- 	Subject: "Goodbye"`, `+ 	Subject: "Welcome, Ann"`)
	wantFail(t, func(t testing.TB) bool { return assert.DeliveredInAnyOrder(t, srv, assert.Mail{Subject: "Reminder"}) },
		"got 2 message(s), want 1",
		"assert.DeliveredInAnyOrder: message 1 is not expected: from <a@example.com>")
}

func TestIncludes(t *testing.T) {
	srv := server(t, [3]string{"a@example.com", "b@example.org", welcome}, [3]string{"c@example.com", "d@example.org", plain})
	wantPass(t, func(t testing.TB) bool { return assert.Includes(t, srv, assert.Mail{To: []string{"d@example.org"}}) })
	wantFail(t, func(t testing.TB) bool {
		return assert.Includes(t, srv, assert.Mail{To: []string{"d@example.org"}, Subject: "Welcome, Ann"})
	},
		"assert.Includes: no message matches; the closest is message", "2 message(s) received:")
	empty := server(t)
	wantFail(t, func(t testing.TB) bool { return assert.Includes(t, empty, assert.Mail{}) },
		"assert.Includes: no message matches", "0 message(s) received:")
}

func TestCountAndNoMail(t *testing.T) {
	empty := server(t)
	wantPass(t, func(t testing.TB) bool { return assert.NoMail(t, empty) })
	wantPass(t, func(t testing.TB) bool { return assert.Count(t, empty, 0) })

	srv := server(t, [3]string{"a@example.com", "b@example.org", plain})
	wantPass(t, func(t testing.TB) bool { return assert.Count(t, srv, 1) })
	wantFail(t, func(t testing.TB) bool { return assert.Count(t, srv, 2) }, "assert.Count: got 1 message(s), want 2", `1. from <a@example.com>`)
	wantFail(t, func(t testing.TB) bool { return assert.NoMail(t, srv) }, "assert.NoMail: got 1 message(s), want none", `subject "Reminder"`)
}

func TestRejected(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.Hooks{
		ValidateRecipient: func(to string) error {
			if strings.HasSuffix(to, "@bad.example") {
				return errors.New("no such domain")
			}
			return nil
		},
	})
	err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"ann@bad.example"}, []byte(plain))
	if err == nil {
		t.Fatal("the hook did not refuse")
	}
	wantPass(t, func(t testing.TB) bool {
		return assert.Rejected(t, srv, assert.Rejection{
			Stage: smtptest.StageRcpt, Arg: "ann@BAD.example", Code: 550,
			EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Text: assert.Containing("no such"),
		})
	})
	wantPass(t, func(t testing.TB) bool { return assert.Rejected(t, srv, assert.Rejection{}) })
	clean := server(t, [3]string{"a@example.com", "b@example.org", plain})
	wantPass(t, func(t testing.TB) bool { return assert.Rejected(t, clean) })
	wantPass(t, func(t testing.TB) bool { return assert.Rejected(t, clean, []assert.Rejection{}...) })
	wantFail(t, func(t testing.TB) bool {
		return assert.Rejected(t, srv, assert.Rejection{Stage: smtptest.StageMail, Code: 451})
	}, "assert.Rejected: rejections mismatch (-want +got):", `- Stage: s"MAIL",`, `+ Stage: s"RCPT",`, `- Code: 451,`, `+ Code: 550,`,
		"1 rejection(s) made:", "1. RCPT ann@bad.example: 550 5.1.1 no such domain (conn 1)", "SMTP transcript:")
	wantFail(t, func(t testing.TB) bool { return assert.Rejected(t, srv) }, `{Stage: s"RCPT", Arg: "ann@bad.example", Code: 550, Text: s"no such domain"}`)
}

func TestWithinWaitsForBackgroundMail(t *testing.T) {
	srv := server(t)
	done := make(chan error, 1)
	go func() {
		for i := range 3 {
			if err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, fmt.Appendf(nil, "Subject: %d\r\n\r\n", i)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	within := assert.Within(20 * time.Second) // a bound, never waited out when the test passes
	wantPass(t, func(t testing.TB) bool { return within.Includes(t, srv, assert.Mail{Subject: "1"}) })
	wantPass(t, func(t testing.TB) bool {
		return within.Delivered(t, srv, assert.Mail{Subject: "0"}, assert.Mail{Subject: "1"}, assert.Mail{Subject: "2"})
	})
	wantPass(t, func(t testing.TB) bool { return within.Count(t, srv, 3) })
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	quiet := server(t)
	wantPass(t, func(t testing.TB) bool { return assert.Within(20*time.Millisecond).NoMail(t, quiet) })
	wantFail(t, func(t testing.TB) bool { return assert.Within(20*time.Millisecond).Count(t, quiet, 1) }, "got 0 message(s), want 1")

	refused := smtptest.NewServer(t, smtptest.Hooks{ValidateSender: func(string) error { return errors.New("no") }})
	go smtp.SendMail(refused.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte(plain))
	wantPass(t, func(t testing.TB) bool {
		return within.Rejected(t, refused, assert.Rejection{Stage: smtptest.StageMail, Code: 550})
	})
}

func TestWithPassesCmpOptions(t *testing.T) {
	srv := smtptest.NewServer(t)
	if err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"c@example.org", "b@example.org"}, []byte(plain)); err != nil {
		t.Fatal(err)
	}
	want := assert.Mail{To: []string{"b@example.org", "c@example.org"}, Subject: "Other"}
	wantFail(t, func(t testing.TB) bool { return assert.Delivered(t, srv, want) }, `- 		"b@example.org",`)
	sorted := assert.With(cmpopts.SortSlices(func(a, b string) bool { return a < b }), cmpopts.IgnoreFields(assert.Mail{}, "Subject"))
	wantPass(t, func(t testing.TB) bool { return sorted.Delivered(t, srv, want) })
	wantPass(t, func(t testing.TB) bool { return sorted.Includes(t, srv, want) })
	wantPass(t, func(t testing.TB) bool { return sorted.Within(time.Second).DeliveredInAnyOrder(t, srv, want) })
}

func TestMatchers(t *testing.T) {
	m := &smtptest.Message{Data: []byte("Subject: x\r\n\r\nline one\r\nline two\r\n\r\n")}
	srv := server(t, [3]string{"a@example.com", "b@example.org", string(m.Data)})
	for _, match := range []assert.Match{
		assert.Exactly("line one\nline two"),
		assert.Exactly("line one\r\nline two\r\n"),
		assert.Containing("one\nline"),
		assert.Matching(`(?m)^line two$`),
	} {
		wantPass(t, func(t testing.TB) bool { return assert.Delivered(t, srv, assert.Mail{Text: match}) })
	}
	for _, match := range []assert.Match{
		assert.Exactly("line one"),
		assert.Exactly(""),
		assert.Containing("three"),
		assert.Matching(`^two`),
	} {
		wantFail(t, func(t testing.TB) bool { return assert.Delivered(t, srv, assert.Mail{Text: match}) }, match.String())
	}

	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "assert: Matching: ") {
			t.Errorf("Matching with a bad pattern: recover() = %v", r)
		}
	}()
	assert.Matching(`(`)
}

func TestMatchString(t *testing.T) {
	for m, want := range map[assert.Match]string{
		assert.Exactly("a\nb"):   "a\nb",
		assert.Containing("x"):   `containing "x"`,
		assert.Matching(`\d+`):   `matching /\d+/`,
		{}:                       "(not compared)",
		assert.Containing("\"q"): `containing "\"q"`,
	} {
		if got := m.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}

func TestFailuresInOneTestShowTheTranscriptOnce(t *testing.T) {
	var srv *smtptest.Server
	tb := tbtest.Run(t, func(tb *tbtest.TB) {
		srv = smtptest.NewServer(tb)
		if err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte(plain)); err != nil {
			t.Error(err)
		}
		assert.Count(tb, srv, 2)
		assert.NoMail(tb, srv)
	})
	out := tb.Text()
	if n := strings.Count(out, "C: MAIL FROM:<a@example.com>"); n != 1 {
		t.Errorf("the transcript appears %d times:\n%s", n, out)
	}
	if !strings.Contains(out, "SMTP transcript:\n(the same as in the failure message above)") { // not go-cmp's output: exact
		t.Errorf("the second failure does not refer to the first:\n%s", out)
	}
}

func TestTimeoutSaysWhatItWaitedFor(t *testing.T) {
	quiet := server(t)
	wantFail(t, func(t testing.TB) bool { return assert.Within(20*time.Millisecond).Count(t, quiet, 1) },
		"assert.Count: got 0 message(s), want 1 (waited 20ms for message 1 to arrive)")
	wantFail(t, func(t testing.TB) bool { return assert.Within(20*time.Millisecond).Delivered(t, quiet, assert.Mail{}) },
		"got 0 message(s), want 1 (waited 20ms for message 1 to arrive)")
	wantFail(t, func(t testing.TB) bool { return assert.Count(t, quiet, 1) }, "(no wait: use assert.Within for mail sent in the background)")
}

func TestIncludesRejections(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.RejectRecipient("*@bad.example"))
	for _, to := range []string{"x@bad.example", "ok@example.org", "y@bad.example"} {
		smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{to}, []byte(plain))
	}
	c := dialRaw(t, srv)
	c("XYZZ", 500) // a refusal the test does not care about
	wantPass(t, func(t testing.TB) bool {
		return assert.IncludesRejections(t, srv,
			assert.Rejection{Arg: "x@bad.example", Code: 550},
			assert.Rejection{Arg: "y@bad.example"})
	})
	wantPass(t, func(t testing.TB) bool { return assert.IncludesRejections(t, srv, assert.Rejection{Code: 500}) })
	wantFail(t, func(t testing.TB) bool {
		return assert.IncludesRejections(t, srv,
			assert.Rejection{Arg: "y@bad.example"},
			assert.Rejection{Arg: "x@bad.example"}) // the wrong order
	}, "assert.IncludesRejections: expectation 2 of 2 not met, in order:", `arg "x@bad.example"`, "3 rejection(s) made:")
	// Rejected is exact: the 500 makes it fail.
	wantFail(t, func(t testing.TB) bool {
		return assert.Rejected(t, srv, assert.Rejection{Arg: "x@bad.example"}, assert.Rejection{Arg: "y@bad.example"})
	})
}

// dialRaw opens a session to srv and returns a function that sends a
// command and checks its reply code (0: any).
func dialRaw(t *testing.T, srv *smtptest.Server) func(cmd string, code int) {
	t.Helper()
	c, err := textproto.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, _, err := c.ReadResponse(220); err != nil {
		t.Fatal(err)
	}
	return func(cmd string, code int) {
		t.Helper()
		if err := c.PrintfLine("%s", cmd); err != nil {
			t.Fatal(err)
		}
		got, msg, _ := c.ReadResponse(0)
		if code != 0 && got != code {
			t.Fatalf("%s: %d %s, want %d", cmd, got, msg, code)
		}
	}
}

func TestHeaderAddressFields(t *testing.T) {
	msg := "From: \"App\" <noreply@Example.COM>\r\nTo: Ann <ann@example.org>, bob@example.net\r\nX-Id: <a@b>\r\nSubject: x\r\n\r\nhi\r\n"
	srv := server(t, [3]string{"noreply@example.com", "ann@example.org", msg})
	for _, h := range []map[string]string{
		{"From": "noreply@example.com"},
		{"From": "App <noreply@example.com>"},
		{"to": "ann@example.org, bob@example.net"},
		{"To": "Ann <ann@example.org>, bob@example.net"},
	} {
		wantPass(t, func(t testing.TB) bool { return assert.Delivered(t, srv, assert.Mail{Header: h}) })
	}
	for _, h := range []map[string]string{
		{"From": "Other <noreply@example.com>"},    // the display name differs
		{"From": "NoReply@example.com"},            // the local part is exact
		{"To": "ann@example.org"},                  // one address missing
		{"To": "bob@example.net, ann@example.org"}, // the order
		{"X-Id": "a@b"},                            // not an address field: exact
	} {
		wantFail(t, func(t testing.TB) bool { return assert.Delivered(t, srv, assert.Mail{Header: h}) }, "assert.Delivered")
	}
}
