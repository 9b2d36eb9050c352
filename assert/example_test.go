package assert_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/smtp"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	gosmtp "github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/assert"
	"github.com/smtptest/smtptest/dkimtest"
)

// runTest runs f the way `go test` runs a test function, with exampleT
// standing in for its *testing.T, so that the examples run and their
// output is checked. In a test of your own, use t itself; to copy an
// example as it stands, copy runTest and exampleT with it.
func runTest(f func(t testing.TB)) {
	t := &exampleT{}
	done := make(chan struct{})
	go func() { // Fatal ends this goroutine, as it ends a test's
		defer close(done)
		defer t.runCleanups()
		f(t)
	}()
	<-done
}

// exampleT prints what a test logs and reports, made the same on every
// run (ports, the line a server was made at and the times of an SMTP
// transcript change from run to run).
type exampleT struct {
	testing.TB // for the unexported method; the methods used are below

	mu       sync.Mutex
	failed   bool
	cleanups []func()
}

func (t *exampleT) Helper()                         {}
func (t *exampleT) Name() string                    { return "Example" }
func (t *exampleT) Log(args ...any)                 { t.print(fmt.Sprintln(args...)) }
func (t *exampleT) Logf(format string, args ...any) { t.print(fmt.Sprintf(format, args...)) }
func (t *exampleT) Error(args ...any)               { t.Fail(); t.print(fmt.Sprintln(args...)) }
func (t *exampleT) Errorf(format string, args ...any) {
	t.Fail()
	t.print(fmt.Sprintf(format, args...))
}
func (t *exampleT) Fatal(args ...any)                 { t.Error(args...); t.FailNow() }
func (t *exampleT) Fatalf(format string, args ...any) { t.Errorf(format, args...); t.FailNow() }
func (t *exampleT) FailNow()                          { t.Fail(); runtime.Goexit() }
func (t *exampleT) Output() io.Writer                 { return exampleWriter(t.print) }

func (t *exampleT) Fail() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failed = true
}

func (t *exampleT) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}

func (t *exampleT) Cleanup(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, f)
}

func (t *exampleT) runCleanups() {
	t.mu.Lock()
	fs := t.cleanups
	t.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}

var (
	examplePort   = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	exampleMadeAt = regexp.MustCompile(`\(made at ([^:()]+):\d+\)`)
)

// print prints s: go-cmp's random no-break spaces as spaces, ports as
// "[port]", "(made at file:line)" without its line, an SMTP transcript as
// "[...]".
func (t *exampleT) print(s string) {
	s = strings.TrimSuffix(s, "\n")
	s = strings.ReplaceAll(s, "\u00a0", " ")
	s = examplePort.ReplaceAllString(s, "127.0.0.1:[port]")
	s = exampleMadeAt.ReplaceAllString(s, "(made at $1)")
	if i := strings.Index(s, "SMTP transcript:\n"); i >= 0 {
		s = s[:i] + "SMTP transcript:\n[...]"
	}
	fmt.Println(s)
}

type exampleWriter func(string)

func (w exampleWriter) Write(p []byte) (int, error) { w(string(p)); return len(p), nil }

// sendWelcome is the code under test: it mails a welcome message to each
// new user, and stops at the first address the server refuses.
func sendWelcome(smtpAddr string, users ...string) error {
	for _, u := range users {
		name, _, _ := strings.Cut(u, "@")
		msg := fmt.Sprintf("From: noreply@example.com\r\nTo: %s\r\nSubject: Welcome, %s\r\n\r\nHello %s, click https://example.com/verify to start.\r\n", u, name, name)
		if err := smtp.SendMail(smtpAddr, nil, "noreply@example.com", []string{u}, []byte(msg)); err != nil {
			return fmt.Errorf("welcome %s: %w", u, err)
		}
	}
	return nil
}

func ExampleDelivered() {
	runTest(func(t testing.TB) { // func TestSignupSendsWelcome(t *testing.T) {
		srv := smtptest.NewServer(t)

		if err := sendWelcome(srv.Addr(), "ann@example.org"); err != nil {
			t.Fatal(err)
		}

		ok := assert.Delivered(t, srv, assert.Mail{
			From:    "noreply@example.com",
			To:      []string{"ann@example.org"},
			Subject: "Welcome, ann",
			Text:    assert.Containing("https://example.com/verify"),
		})
		fmt.Println("passed:", ok)
	})
	// Output:
	// passed: true
}

// What a failure shows: which expectation failed, the diff (-want +got),
// the messages that did arrive, and the SMTP transcript (shortened here:
// it holds ports and times that change from run to run).
func ExampleDelivered_failure() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t)
		smtp.SendMail(srv.Addr(), nil, "noreply@example.com", []string{"ann@example.org"},
			[]byte("Subject: Welcome, {{name}}\r\n\r\nHello!\r\n"))

		assert.Delivered(t, srv, assert.Mail{
			From:    "noreply@example.com",
			To:      []string{"ann@example.org"},
			Subject: "Welcome, Ann",
		})
	})
	// Output:
	// assert.Delivered: message 1 of 1 mismatch (-want +got):
	//   assert.Mail{
	//   	From:    "noreply@example.com",
	//   	To:      {"ann@example.org"},
	// - 	Subject: "Welcome, Ann",
	// + 	Subject: "Welcome, {{name}}",
	//   	Header:  nil,
	//   	Text:    s"(not compared)",
	//   	... // 2 identical fields
	//   }
	// 1 message(s) received:
	//   1. from <noreply@example.com> to <ann@example.org> subject "Welcome, {{name}}" (38 bytes, conn 1)
	// SMTP transcript:
	// [...]
}

// A table-driven test: each row installs the server behaviour it needs
// (hooks, faults, any other option) and states the mail and the refusals
// it expects.
func Example_tableDriven() {
	refuse := func(domain string) smtptest.Hooks {
		return smtptest.Hooks{ValidateRecipient: func(to string) error {
			if strings.HasSuffix(to, "@"+domain) {
				return errors.New("no such domain")
			}
			return nil
		}}
	}
	tests := []struct {
		name    string
		server  []smtptest.Option
		users   []string
		wantErr bool
		mail    []assert.Mail
		refused []assert.Rejection
		golden  string // the first user's mail, as reviewed
	}{
		{
			name:  "one user",
			users: []string{"ann@example.org"},
			mail:  []assert.Mail{{To: []string{"ann@example.org"}, Subject: "Welcome, ann"}},
		},
		{
			name:   "the welcome mail as reviewed",
			users:  []string{"ann@example.org", "bob@example.net"},
			mail:   []assert.Mail{{To: []string{"ann@example.org"}}, {To: []string{"bob@example.net"}}},
			golden: "testdata/welcome-ann.golden", // SMTPTEST_UPDATE_GOLDEN=1 go test -run Example_tableDriven
		},
		{
			name:  "two users, in order",
			users: []string{"ann@example.org", "bob@example.net"},
			mail: []assert.Mail{
				{To: []string{"ann@example.org"}},
				{To: []string{"bob@example.net"}, Text: assert.Matching(`Hello bob, click https://\S+`)},
			},
		},
		{
			name:    "refused recipient stops the run",
			server:  []smtptest.Option{refuse("bad.example")},
			users:   []string{"ann@example.org", "eve@bad.example", "bob@example.net"},
			wantErr: true,
			mail:    []assert.Mail{{To: []string{"ann@example.org"}}},
			refused: []assert.Rejection{{Stage: smtptest.StageRcpt, Arg: "eve@bad.example", Code: 550}},
		},
		{
			name:    "temporary failure of the first delivery",
			server:  []smtptest.Option{smtptest.FailNextDelivery()},
			users:   []string{"ann@example.org", "bob@example.net"},
			wantErr: true,
			mail:    nil, // sendWelcome does not retry
			refused: []assert.Rejection{{Stage: smtptest.StageEndOfData, Code: 451, Text: assert.Containing("try again")}},
		},
		{
			// sendWelcome writes no Date: a receiver that checks, as Gmail
			// does, refuses the mail, and the sender must report it.
			name:    "malformed mail is refused",
			server:  []smtptest.Option{smtptest.RejectMalformed()},
			users:   []string{"ann@example.org"},
			wantErr: true,
			refused: []assert.Rejection{{Stage: smtptest.StageEndOfData, Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 7, 1}, Text: assert.Containing("no Date field")}},
		},
	}
	for _, tt := range tests {
		runTest(func(t testing.TB) { // t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.NewServer(t, tt.server...)

			err := sendWelcome(srv.Addr(), tt.users...)

			if (err != nil) != tt.wantErr {
				t.Errorf("sendWelcome: %v, want error %v", err, tt.wantErr)
			}
			ok := assert.Delivered(t, srv, tt.mail...)
			ok = assert.Rejected(t, srv, tt.refused...) && ok
			if tt.golden != "" { // scoped to the first user's mail
				ok = assert.To(tt.users[0]).Golden(t, srv, tt.golden) && ok
			}
			fmt.Println(tt.name, ok)
		})
	}
	// Output:
	// one user true
	// the welcome mail as reviewed true
	// two users, in order true
	// refused recipient stops the run true
	// temporary failure of the first delivery true
	// malformed mail is refused true
}

// Within waits for mail sent in the background, waking as each message
// arrives.
func ExampleWithin() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t)

		go sendWelcome(srv.Addr(), "ann@example.org", "bob@example.net")

		ok := assert.Within(10*time.Second).DeliveredInAnyOrder(t, srv,
			assert.Mail{To: []string{"bob@example.net"}},
			assert.Mail{To: []string{"ann@example.org"}},
		)
		fmt.Println(ok)
	})
	// Output:
	// true
}

func ExampleIncludes() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t)
		sendWelcome(srv.Addr(), "ann@example.org", "bob@example.net")

		fmt.Println(assert.Includes(t, srv, assert.Mail{To: []string{"bob@EXAMPLE.NET"}})) // domains compare without case
		fmt.Println(assert.Count(t, srv, 2))
	})
	// Output:
	// true
	// true
}

// NoMail with Within checks that nothing arrives for a while: here, that
// an invalid address is not mailed at all.
func ExampleNoMail() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t)
		sendWelcome(srv.Addr()) // no users

		fmt.Println(assert.Within(50*time.Millisecond).NoMail(t, srv))
	})
	// Output:
	// true
}

// Expect the null sender <> (bounces, auto-replies) with NullSender: an
// empty From means "not compared".
func ExampleNullSender() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t)
		smtp.SendMail(srv.Addr(), nil, "", []string{"ann@example.org"}, []byte("Subject: Undeliverable: hello\r\n\r\n"))

		fmt.Println(assert.Delivered(t, srv, assert.Mail{From: assert.NullSender, Subject: "Undeliverable: hello"}))
	})
	// Output:
	// true
}

// With passes cmp.Options through: here cmpopts.SortSlices makes the
// comparison of recipients ignore their order.
func ExampleWith() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t)
		smtp.SendMail(srv.Addr(), nil, "noreply@example.com", []string{"bob@example.net", "ann@example.org"}, []byte("Subject: team news\r\n\r\n"))

		sortTo := cmpopts.SortSlices(func(a, b string) bool { return a < b })
		fmt.Println(assert.With(sortTo).Delivered(t, srv, assert.Mail{To: []string{"ann@example.org", "bob@example.net"}}))
	})
	// Output:
	// true
}

// WellFormed catches what no expectation asked about: here, a mailer that
// sends no Date. (Its raw UTF-8 Subject is fine: net/smtp sent it over
// SMTPUTF8, which the server offers.)
func ExampleWellFormed() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t)
		msg := "From: App <noreply@example.com>\r\nTo: ann@example.org\r\nSubject: Café\r\nMessage-ID: <1@example.com>\r\n\r\nHello.\r\n"
		if err := smtp.SendMail(srv.Addr(), nil, "noreply@example.com", []string{"ann@example.org"}, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		assert.WellFormed(t, srv)
	})
	// Output:
	// assert.WellFormed: 1 error(s), 0 warning(s) in 1 message(s):
	// message 1 (from <noreply@example.com> to <ann@example.org> subject "Café" (109 bytes, conn 1)):
	//   error header/date-missing (RFC 5322 3.6): the message has no Date field
	// Example: smtptest server 127.0.0.1:[port] (made at example_test.go): SMTP transcript:
	// [...]
}

// IncludesRejections checks the refusals a test cares about, whatever else
// was refused around them.
func ExampleIncludesRejections() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t, smtptest.RejectRecipient("*@bad.example"))
		c, _ := smtp.Dial(srv.Addr())
		c.Hello("client.example")
		c.Mail("noreply@example.com")
		c.Rcpt("eve@bad.example") // refused: the test cares
		c.Rcpt("ann@example.org")
		c.Mail("again@example.com") // refused too (503, a nested MAIL): the test does not care
		c.Quit()

		fmt.Println(assert.IncludesRejections(t, srv,
			assert.Rejection{Stage: smtptest.StageRcpt, Arg: "eve@bad.example", Code: 550}))
	})
	// Output:
	// true
}

// Tests that share one server (made once, in TestMain, because the app's
// SMTP address is configured once) each check their own mail with To.
func ExampleTo() {
	srv, err := smtptest.Start() // in TestMain
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	for _, user := range []string{"ann@example.org", "bob@example.net"} {
		runTest(func(t testing.TB) { // t.Run(user, func(t *testing.T) { t.Parallel() ...
			go sendWelcome(srv.Addr(), user) // the app sends in the background

			ok := assert.To(user).Within(5*time.Second).Delivered(t, srv, assert.Mail{
				To:   []string{user},
				Text: assert.Containing("https://example.com/verify"),
			})
			fmt.Println(user, ok)
		})
	}
	// Output:
	// ann@example.org true
	// bob@example.net true
}

// Golden compares what was sent with a reviewed file; Render is what it
// writes: dates, ids and boundaries normalised, bodies decoded.
func ExampleRender() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t)
		msg := "Date: Tue, 01 Dec 2026 20:00:00 +0000\r\nFrom: App <noreply@example.com>\r\nTo: ann@example.org\r\n" +
			"Message-ID: <8f2c@example.com>\r\nSubject: =?utf-8?q?Welcome=2C_Ann?=\r\n\r\nClick https://example.com/verify?t=Zq81x\r\n"
		if err := smtp.SendMail(srv.Addr(), nil, "noreply@example.com", []string{"ann@example.org"}, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		// In a test: assert.Golden(t, srv, "testdata/welcome.golden", token)
		token := regexp.MustCompile(`t=\w+`)
		fmt.Print(assert.Render(srv.Messages(), token))
	})
	// Output:
	// === message 1
	// envelope from: noreply@example.com
	// envelope to: ann@example.org
	// header:
	//   Date: [date]
	//   From: App <noreply@example.com>
	//   To: ann@example.org
	//   Message-Id: [message-id 1]
	//   Subject: Welcome, Ann
	//   body (text/plain):
	//     | Click https://example.com/verify?[volatile 1]
}

// DKIM checks that what the application signed verifies against the key
// it was given, aligns with From and covers the fields asked for: here
// the application forgot the one-click unsubscribe headers, which Gmail
// and Yahoo require bulk senders to sign.
func ExampleDKIM() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t)
		key := srv.NewDKIMKey("example.com", "news", dkimtest.Ed25519)

		// The code under test signs with key.Signer.
		msg := "From: News <news@example.com>\r\nTo: ann@example.org\r\nSubject: Weekly\r\n" +
			"List-Unsubscribe: <https://example.com/u/1>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\nHello.\r\n"
		var signed bytes.Buffer
		if err := dkim.Sign(&signed, strings.NewReader(msg), &dkim.SignOptions{
			Domain: "example.com", Selector: "news", Signer: key.Signer,
			HeaderKeys: []string{"From", "To", "Subject"},
		}); err != nil {
			t.Fatal(err)
		}
		if err := smtp.SendMail(srv.Addr(), nil, "news@example.com", []string{"ann@example.org"}, signed.Bytes()); err != nil {
			t.Fatal(err)
		}

		assert.DKIM(t, srv, "example.com", "Subject", "List-Unsubscribe", "List-Unsubscribe-Post")
	})
	// Output:
	// assert.DKIM: 1 of 1 message(s) have no valid signature by example.com, aligned with From, covering From, Subject, List-Unsubscribe, List-Unsubscribe-Post:
	// message 1 (from <news@example.com> to <ann@example.org> subject "Weekly" (437 bytes, conn 1)):
	//   d=example.com s=news ed25519-sha256 simple/simple: verified, aligned (strict) with From example.com; h= does not list List-Unsubscribe, List-Unsubscribe-Post
	// Example: smtptest server 127.0.0.1:[port] (made at example_test.go): SMTP transcript:
	// [...]
}

// Settled makes Count mean exactly n for a job that sends in the
// background: the check waits until the mail stops for the quiet time.
func ExampleSettled() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t)

		// A background job that sends one welcome too many.
		go sendWelcome(srv.Addr(), "ann@example.org", "bob@example.org", "ann@example.org")

		ok := assert.Within(10*time.Second).Settled(2*time.Second).Count(t, srv, 2)
		fmt.Println("passed:", ok)
	})
	// Output:
	// assert.Count: got 3 message(s), want 2
	// 3 message(s) received:
	//   1. from <noreply@example.com> to <ann@example.org> subject "Welcome, ann" (128 bytes, conn 1)
	//   2. from <noreply@example.com> to <bob@example.org> subject "Welcome, bob" (128 bytes, conn 2)
	//   3. from <noreply@example.com> to <ann@example.org> subject "Welcome, ann" (128 bytes, conn 3)
	// SMTP transcript:
	// [...]
	// passed: false
}
