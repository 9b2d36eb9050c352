package smtptest_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"net/textproto"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"

	"github.com/smtptest/smtptest"
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

// The code under test sends mail to the server's address; the test reads
// what arrived.
func ExampleNewServer() {
	runTest(func(t testing.TB) { // func TestWelcomeMail(t *testing.T) {
		srv := smtptest.NewServer(t)

		// The code under test:
		msg := "From: noreply@example.com\r\nTo: ann@example.org\r\nSubject: Welcome, Ann\r\n\r\nHello!\r\n"
		if err := smtp.SendMail(srv.Addr(), nil, "noreply@example.com", []string{"ann@example.org"}, []byte(msg)); err != nil {
			t.Fatal(err)
		}

		for _, m := range srv.Messages() {
			subject, _ := m.Subject()
			fmt.Printf("from %s to %v: %q\n", m.From, m.To, subject)
		}
	})
	// Output:
	// from noreply@example.com to [ann@example.org]: "Welcome, Ann"
}

// Start makes a server outside of a test; the caller closes it.
func ExampleStart() {
	srv, err := smtptest.Start(smtptest.Domain("mx.example.org"))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Println(c.Hello("client.example") == nil)
	_, size := c.Extension("SIZE")
	fmt.Println("SIZE", size)
	// Output:
	// true
	// SIZE 33554432
}

// Hooks refuse what a test wants refused: here every recipient at
// bad.example, permanently, and a temporary failure for one mailbox.
func ExampleHooks() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t, smtptest.Hooks{
			ValidateRecipient: func(to string) error {
				if strings.HasSuffix(to, "@bad.example") {
					return errors.New("no such domain") // plain error: 550 5.1.1
				}
				if to == "busy@example.org" {
					return &gosmtp.SMTPError{Code: 451, EnhancedCode: [3]int{4, 2, 1}, Message: "mailbox busy, try later"}
				}
				return nil
			},
		})

		for _, to := range []string{"ann@bad.example", "busy@example.org", "bob@example.org"} {
			err := smtp.SendMail(srv.Addr(), nil, "noreply@example.com", []string{to}, []byte("Subject: hi\r\n\r\nhi\r\n"))
			fmt.Printf("%s: %v\n", to, err)
		}
		for _, r := range srv.Rejections() {
			fmt.Println("rejected:", r)
		}
	})
	// Output:
	// ann@bad.example: 550 "5.1.1 no such domain"
	// busy@example.org: 451 "4.2.1 mailbox busy, try later"
	// bob@example.org: <nil>
	// rejected: RCPT ann@bad.example: 550 5.1.1 no such domain
	// rejected: RCPT busy@example.org: 451 4.2.1 mailbox busy, try later
}

// DeliverMIME sees each message parsed by go-message, after the body
// arrived and before the reply: it can refuse what the test finds wrong.
func ExampleHooks_deliverMIME() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t, smtptest.Hooks{
			DeliverMIME: func(env smtptest.Envelope, e *message.Entity) error {
				h := mail.Header{Header: e.Header}
				if h.Get("Date") == "" {
					return errors.New("the message has no Date header")
				}
				if _, err := h.Date(); err != nil {
					return fmt.Errorf("bad Date header: %v", err)
				}
				return nil
			},
		})
		err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte("Subject: undated\r\n\r\nbody\r\n"))
		fmt.Println(err)
		fmt.Println(len(srv.Messages()), "recorded")
	})
	// Output:
	// 554 "5.0.0 the message has no Date header"
	// 0 recorded
}

// WaitForMessages waits for mail sent in the background, waking as soon as
// it arrives.
func ExampleServer_WaitForMessages() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t)

		go func() { // the code under test sends from a goroutine of its own
			smtp.SendMail(srv.Addr(), nil, "alerts@example.com", []string{"oncall@example.org"}, []byte("Subject: disk full\r\n\r\n/var is full\r\n"))
		}()

		msgs := srv.WaitForMessages(1, 10*time.Second)
		subject, _ := msgs[0].Subject()
		fmt.Println(subject)
	})
	// Output:
	// disk full
}

// WaitForQuiet waits until the mail stops: a job that sends a batch in
// the background is done when nothing has come for the quiet time.
func ExampleServer_WaitForQuiet() {
	srv, err := smtptest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	go func() { // a digest to three subscribers, sent in the background
		for _, to := range []string{"ann@example.org", "bob@example.org", "eve@example.org"} {
			smtp.SendMail(srv.Addr(), nil, "digest@example.com", []string{to}, []byte("Subject: This week\r\n\r\nNews.\r\n"))
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv.WaitForMessagesContext(ctx, 1) // the job has started
	msgs, err := srv.WaitForQuiet(ctx, 2*time.Second)
	fmt.Println(len(msgs), err)
	// Output:
	// 3 <nil>
}

// The context variant serves other goroutines and subtests that share a
// server: it returns an error instead of failing the test.
func ExampleServer_WaitForMessagesContext() {
	srv, err := smtptest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	msgs, err := srv.WaitForMessagesContext(ctx, 1)
	fmt.Println(len(msgs), err)
	fmt.Println(errors.Is(err, context.DeadlineExceeded))
	// Output:
	// 0 got 0 of 1 messages: context deadline exceeded
	// true
}

// The MIME accessors decode what the code under test encoded: transfer
// encodings, charsets, encoded words, attachment names.
func ExampleMessage_TextBody() {
	m := &smtptest.Message{Data: []byte("Subject: =?utf-8?q?R=C3=A9sum=C3=A9?=\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nVoil=E0 mon CV.\r\n" +
		"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=cv.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n" +
		"--b--\r\n")}

	subject, _ := m.Subject()
	text, _ := m.TextBody()
	atts, _ := m.Attachments()
	_, err := m.HTMLBody()

	fmt.Println(subject)
	fmt.Println(text)
	fmt.Printf("%s %s %q\n", atts[0].Filename, atts[0].ContentType, atts[0].Data)
	fmt.Println(err)
	// Output:
	// Résumé
	// Voilà mon CV.
	// cv.pdf application/pdf "%PDF-1.4\n"
	// smtptest: no such MIME part: the message has no text/html body
}

// Every refusal is recorded, whoever made it: here go-smtp's own, for a
// message over the size cap.
func ExampleServer_Rejections() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t, smtptest.MaxMessageBytes(10))
		err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte("Subject: far more than ten bytes\r\n\r\n"))
		fmt.Println(err)
		for _, r := range srv.Rejections() {
			fmt.Println(r.Stage, r.Reply.Code, r.Reply.Message)
		}
	})
	// Output:
	// 552 "5.3.4 Maximum message size exceeded"
	// end of data 552 Maximum message size exceeded
}

// The transcript shows both directions of every connection. A server made
// by NewServer logs it when the test fails.
func ExampleServer_Transcript() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t)
		smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte("Subject: hi\r\n\r\nhello\r\n"))

		for _, line := range strings.Split(srv.Transcript(), "\n") {
			// Each line starts with the time since the connection opened;
			// cut it so that the output is the same on every run.
			if _, rest, ok := strings.Cut(line, "ms "); ok && !strings.HasPrefix(rest, "S: 250-") {
				fmt.Println(rest)
			}
		}
	})
	// Output:
	// S: 220 localhost ESMTP smtptest
	// C: EHLO localhost
	// S: 250 LIMITS RCPTMAX=1000
	// C: MAIL FROM:<a@example.com> BODY=8BITMIME SMTPUTF8
	// S: 250 2.0.0 Roger, accepting mail from <a@example.com>
	// C: RCPT TO:<b@example.org>
	// S: 250 2.0.0 I'll make sure <b@example.org> gets this
	// C: DATA
	// S: 354 Go ahead. End your data with <CR><LF>.<CR><LF>
	// C: [22 bytes of message data: "Subject: hi\r\n\r\nhello\r\n.\r\n"]
	// S: 250 2.0.0 OK: queued
	// C: QUIT
	// S: 221 2.0.0 Bye
	// -- connection closed by the server
}

// ConfigureSMTP reaches the go-smtp server's own knobs.
func ExampleConfigureSMTP() {
	srv, err := smtptest.Start(smtptest.ConfigureSMTP(func(s *gosmtp.Server) {
		s.EnableBINARYMIME = true
	}))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ok, _ := c.Extension("BINARYMIME")
	fmt.Println(ok)
	// Output:
	// true
}

// Reset forgets what was recorded, so one server can serve several steps of
// a test; hooks and options stay.
func ExampleServer_Reset() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t)
		smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte("Subject: step 1\r\n\r\n"))
		srv.Reset()
		smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte("Subject: step 2\r\n\r\n"))

		for _, m := range srv.Messages() {
			s, _ := m.Subject()
			fmt.Println(s)
		}
	})
	// Output:
	// step 2
}

// Domain and Banner make the greeting look like the server the code under
// test will meet in production; Config reports what is in effect.
func ExampleDomain() {
	srv, err := smtptest.Start(smtptest.Domain("mx.example.org"), smtptest.Banner("ESMTP Postfix"), smtptest.MaxRecipients(50))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	cfg := srv.Config()
	fmt.Println(cfg.Domain, cfg.Banner, cfg.MaxRecipients, cfg.MaxMessageBytes)
	// Output:
	// mx.example.org ESMTP Postfix 50 33554432
}

// MaxRecipients makes the server refuse recipients past a limit, as many
// providers do, with a temporary error the client should retry later.
func ExampleMaxRecipients() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t, smtptest.MaxRecipients(2))
		err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org", "c@example.org", "d@example.org"}, []byte("Subject: x\r\n\r\n"))
		fmt.Println(err)
	})
	// Output:
	// 452 "4.5.3 Maximum limit of 2 recipients reached"
}

// deliver is the code under test for the fault examples: it sends one
// message and retries temporary (4xx) failures, up to three attempts.
func deliver(addr, from, to, msg string) (attempts int, err error) {
	for attempts = 1; ; attempts++ {
		err = smtp.SendMail(addr, nil, from, []string{to}, []byte(msg))
		var tp *textproto.Error
		if err == nil || !errors.As(err, &tp) || tp.Code/100 != 4 || attempts == 3 {
			return attempts, err
		}
	}
}

// Faults are data, so a table row can carry the misbehaviour it tests: here
// the retry logic of deliver, against a temporary failure, a permanent
// one, and a server that stays down.
func ExampleFault_retryTable() {
	tests := []struct {
		name         string
		faults       []smtptest.Fault
		wantAttempts int
		wantErr      bool
		wantStored   int
	}{
		{"accepted at once", nil, 1, false, 1},
		{"451 once, then accepted", []smtptest.Fault{smtptest.FailNextDelivery()}, 2, false, 1},
		{"550 is permanent: no retry", []smtptest.Fault{smtptest.RejectRecipient("ann@example.org")}, 1, true, 0},
		{"421 greeting every time: give up after 3", []smtptest.Fault{smtptest.Greet421()}, 3, true, 0},
		{"mailbox busy twice", []smtptest.Fault{{
			Stage: smtptest.StageRcpt, Match: "*@example.org", Times: 2,
			Reply: &gosmtp.SMTPError{Code: 450, EnhancedCode: gosmtp.EnhancedCode{4, 2, 1}, Message: "mailbox busy"},
		}}, 3, false, 1},
	}
	for _, tt := range tests {
		runTest(func(t testing.TB) { // t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.NewServer(t)
			srv.Inject(tt.faults...)

			attempts, err := deliver(srv.Addr(), "app@example.com", "ann@example.org", "Subject: hi\r\n\r\nhi\r\n")

			if attempts != tt.wantAttempts || (err != nil) != tt.wantErr || len(srv.Messages()) != tt.wantStored {
				t.Errorf("%d attempts, error %v, %d stored", attempts, err, len(srv.Messages()))
			}
			fmt.Printf("%s: %d attempt(s), %d refusal(s) recorded\n", tt.name, attempts, len(srv.Rejections()))
		})
	}
	// Output:
	// accepted at once: 1 attempt(s), 0 refusal(s) recorded
	// 451 once, then accepted: 2 attempt(s), 1 refusal(s) recorded
	// 550 is permanent: no retry: 1 attempt(s), 1 refusal(s) recorded
	// 421 greeting every time: give up after 3: 3 attempt(s), 3 refusal(s) recorded
	// mailbox busy twice: 3 attempt(s), 2 refusal(s) recorded
}

// A fault given at start applies to every connection; Inject adds one
// while the server runs and returns the function that removes it.
func ExampleServer_Inject() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t)
		send := func() error {
			return smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte("Subject: x\r\n\r\n"))
		}

		remove := srv.Inject(smtptest.DropAfterData())
		fmt.Println("while injected:", send() != nil)
		remove()
		fmt.Println("after remove:", send())
		fmt.Println(srv.Rejections()[0])
	})
	// Output:
	// while injected: true
	// after remove: <nil>
	// end of data: connection dropped
}

// A chaos run: each command fails with probability 0.2. The seed makes it
// replayable: the same seed fails the same commands of each connection, so
// these counts are the same on every run. The client saw fewer successes
// than the server stored: when QUIT fails after the message's 250, net/smtp
// reports an error for a delivered message, the case a retrying sender must
// handle.
func ExampleSeed() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t, smtptest.Seed(2026), smtptest.EveryStage(smtptest.Fault{
			Rate:  0.2,
			Reply: &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "chaos"},
		}))
		delivered := 0
		for range 20 {
			if _, err := deliver(srv.Addr(), "a@example.com", "b@example.org", "Subject: x\r\n\r\n"); err == nil {
				delivered++
			}
		}
		fmt.Printf("client: %d of 20 delivered; server: %d stored, %d refusals\n", delivered, len(srv.Messages()), len(srv.Rejections()))
	})
	// Output:
	// client: 14 of 20 delivered; server: 16 stored, 34 refusals
}

// The stages a fault can name, in dialogue order.
func ExampleStage() {
	for s := smtptest.StageConnect; s <= smtptest.StageQuit; s++ {
		fmt.Print(s, "; ")
	}
	// Output:
	// connect; HELO; AUTH; MAIL; RCPT; DATA; end of data; RSET; NOOP; QUIT;
}

// DisableExtensions makes the server look like an older or stricter one,
// as smtp-sink's -E -P -8 do: no enhanced status codes, no pipelining.
func ExampleDisableExtensions() {
	srv, err := smtptest.Start(smtptest.DisableExtensions("ENHANCEDSTATUSCODES", "PIPELINING"))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	c.Hello("client.example")
	ok, _ := c.Extension("PIPELINING")
	fmt.Println("PIPELINING:", ok)
	fmt.Println(c.Mail("a@example.com"))
	// Output:
	// PIPELINING: false
	// <nil>
}

// SlowReplies and LinkSpeed test a client's timeouts against a slow peer.
func ExampleSlowReplies() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t, smtptest.SlowReplies(time.Hour))

		c, err := gosmtp.Dial(srv.Addr()) // the greeting takes an hour...
		if err == nil {
			c.Close()
		}
		nc, _ := net.Dial("tcp", srv.Addr())
		defer nc.Close()
		nc.SetReadDeadline(time.Now().Add(20 * time.Millisecond)) // ...the client waits 20ms
		_, err = nc.Read(make([]byte, 100))
		fmt.Println(errors.Is(err, os.ErrDeadlineExceeded))
	})
	// Output:
	// true
}

// STARTTLS and AUTH in one short test: the server offers both, and the
// client trusts the test certificate through ClientTLSConfig.
func ExampleStartTLS() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t, smtptest.StartTLS(), smtptest.RequireAuth(),
			smtptest.Users(map[string]string{"app": "s3cret"}))

		// The code under test, configured with the server's TLS trust:
		c, err := smtp.Dial(srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.StartTLS(srv.ClientTLSConfig()); err != nil {
			t.Fatal(err)
		}
		if err := c.Auth(smtp.PlainAuth("", "app", "s3cret", "127.0.0.1")); err != nil {
			t.Fatal(err)
		}
		c.Mail("app@example.com")
		c.Rcpt("ann@example.org")
		w, _ := c.Data()
		w.Write([]byte("Subject: secure\r\n\r\nhello\r\n"))
		w.Close()
		c.Quit()

		m := srv.Messages()[0]
		fmt.Println(m.AuthUser, tls.VersionName(m.TLS.Version))
	})
	// Output:
	// app TLS 1.3
}

// Authenticate decides AUTH in code: here the first attempt fails
// temporarily and the second is accepted whatever the password.
func ExampleHooks_authenticate() {
	runTest(func(t testing.TB) {
		attempts := 0
		srv := smtptest.NewServer(t, smtptest.Hooks{
			Authenticate: func(mechanism, username, password string) error {
				attempts++ // one client here; a hook shared by goroutines needs a lock
				if attempts == 1 {
					return &gosmtp.SMTPError{Code: 454, EnhancedCode: gosmtp.EnhancedCode{4, 7, 0}, Message: "try again"}
				}
				return nil // any password
			},
		})
		for range 2 {
			c, _ := smtp.Dial(srv.Addr())
			fmt.Println(c.Auth(smtp.PlainAuth("", "anyone", "anything", "127.0.0.1")))
			c.Close()
		}
	})
	// Output:
	// 454 "4.7.0 try again"
	// <nil>
}

// OnEvent follows the server as it works, one event at a time.
func ExampleOnEvent() {
	srv, err := smtptest.Start(smtptest.OnEvent(func(ev smtptest.Event) {
		switch ev.Kind {
		case smtptest.EventMessage:
			fmt.Printf("conn %d: message from %s\n", ev.ConnID, ev.Message.From)
		case smtptest.EventRejection:
			fmt.Printf("conn %d: refused: %s\n", ev.ConnID, ev.Rejection)
		default:
			fmt.Printf("conn %d: %s\n", ev.ConnID, ev.Kind)
		}
	}), smtptest.RejectRecipient("nobody@example.org"))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"nobody@example.org", "b@example.org"}, []byte("Subject: x\r\n\r\n"))
	srv.Close()
	// Output:
	// conn 1: connect
	// conn 1: refused: RCPT nobody@example.org: 550 5.1.1 Recipient address rejected (smtptest fault)
	// conn 1: close
}

// Shutdown lets a message in flight finish before the server stops, as a
// standalone server does on SIGTERM.
func ExampleServer_Shutdown() {
	srv, err := smtptest.Start()
	if err != nil {
		log.Fatal(err)
	}
	c, _ := smtp.Dial(srv.Addr())
	c.Mail("a@example.com")
	c.Rcpt("b@example.org")
	w, _ := c.Data()
	w.Write([]byte("Subject: in flight\r\n\r\n"))

	done := make(chan error)
	go func() { done <- srv.Shutdown(context.Background()) }()

	fmt.Println(w.Close()) // the message still goes through
	// Then the session, idle, is answered "421 4.3.2 Service shutting
	// down" and closed, and Shutdown returns.
	fmt.Println(<-done, len(srv.Messages()))
	// Output:
	// <nil>
	// <nil> 1
}

// A server that runs long keeps what retention allows; IDs, Stats and the
// cheap reads go on counting everything.
func ExampleRetainMessages() {
	srv, err := smtptest.Start(smtptest.RetainMessages(2, 0))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	for i := 1; i <= 3; i++ {
		msg := fmt.Sprintf("Subject: report %d\r\n\r\nbody\r\n", i)
		if err := smtp.SendMail(srv.Addr(), nil, "app@example.com", []string{"ops@example.org"}, []byte(msg)); err != nil {
			log.Fatal(err)
		}
	}

	// Summaries list what is kept without copying message data.
	for _, s := range srv.Summaries() {
		fmt.Printf("message %d: %q, %d bytes\n", s.ID, s.Subject, s.Size)
	}
	if _, ok := srv.MessageByID(1); !ok {
		fmt.Println("message 1 was forgotten")
	}
	m, _ := srv.MessageByID(3)
	fmt.Printf("message 3 from %s\n", m.From)
	st := srv.Stats()
	fmt.Printf("received %d, forgot %d\n", st.Messages, st.DiscardedMessages)
	// Output:
	// message 2: "report 2", 27 bytes
	// message 3: "report 3", 27 bytes
	// message 1 was forgotten
	// message 3 from app@example.com
	// received 3, forgot 1
}

// WaitForMessageCount waits for mail sent in the background without
// copying it; Summaries then says what arrived.
func ExampleServer_WaitForMessageCount() {
	srv, err := smtptest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	go smtp.SendMail(srv.Addr(), nil, "app@example.com", []string{"ann@example.org"}, []byte("Subject: later\r\n\r\nhi\r\n"))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := srv.WaitForMessageCount(ctx, 1); err != nil {
		log.Fatal(err)
	}
	fmt.Println(srv.Summaries()[0].Subject)
	// Output:
	// later
}

// An end-to-end test follows the link of the verification mail, as the
// user would.
func ExampleMessage_Links() {
	verified := make(chan string, 1)
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		verified <- r.URL.Query().Get("token")
	}))
	defer web.Close()

	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t)
		// The code under test mails the user a link to verify the address.
		msg := "From: noreply@example.com\r\nTo: ann@example.org\r\nSubject: Verify\r\nContent-Type: text/html\r\n\r\n" +
			`<p>Hello Ann, <a href="` + web.URL + `/verify?token=abc123&amp;user=ann">verify your address</a>.</p>` + "\r\n"
		if err := smtp.SendMail(srv.Addr(), nil, "noreply@example.com", []string{"ann@example.org"}, []byte(msg)); err != nil {
			t.Fatal(err)
		}

		links, err := srv.Messages()[0].Links()
		if err != nil || len(links) != 1 {
			t.Fatalf("links %q, %v", links, err)
		}
		resp, err := http.Get(links[0]) // click
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println("verified with token", <-verified)
	})
	// Output:
	// verified with token abc123
}

// Host and Port serve clients configured with the two apart.
func ExampleServer_Host() {
	srv, err := smtptest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	// With go-mail (github.com/wneessen/go-mail), which asks for STARTTLS
	// by default, either without TLS:
	//
	//	mailer, err := mail.NewClient(srv.Host(), mail.WithPort(srv.Port()), mail.WithTLSPolicy(mail.NoTLS))
	//
	// or, with a server started with smtptest.StartTLS(), through TLS
	// that trusts the server's test certificate:
	//
	//	mailer, err := mail.NewClient(srv.Host(), mail.WithPort(srv.Port()),
	//		mail.WithTLSPolicy(mail.TLSMandatory), mail.WithTLSConfig(srv.ClientTLSConfig()))
	fmt.Println(srv.Host(), srv.Port() > 0)
	// Output:
	// 127.0.0.1 true
}

// RejectMalformed answers malformed mail the way Gmail does, so that a
// sender's error path can be tested; Message.Lint tells what is wrong with
// mail that was accepted.
func ExampleRejectMalformed() {
	srv, err := smtptest.Start(smtptest.RejectMalformed())
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	err = smtp.SendMail(srv.Addr(), nil, "app@example.com", []string{"ann@example.org"}, []byte("Subject: no date\r\n\r\nhi\r\n"))
	var tp *textproto.Error
	if errors.As(err, &tp) {
		fmt.Println(tp.Code, tp.Msg)
	}
	fmt.Println(len(srv.Messages()), "messages recorded")
	// Output:
	// 550 5.7.1 the message has no Date field (RFC 5322 3.6)
	// 0 messages recorded
}

// TranscriptOf shows the dialogue of some connections only, for tests that
// share a server.
func ExampleServer_TranscriptOf() {
	srv, err := smtptest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	for _, to := range []string{"ann@example.org", "bob@example.net"} {
		smtp.SendMail(srv.Addr(), nil, "app@example.com", []string{to}, []byte("Subject: hi\r\n\r\nhi\r\n"))
	}
	m := srv.Messages()[1] // bob's
	tr := srv.TranscriptOf(m.ConnID)
	fmt.Println(strings.Contains(tr, "RCPT TO:<bob@example.net>"), strings.Contains(tr, "ann@example.org"))
	// Output:
	// true false
}

// The application signs with a key the test made; the server verifies
// what arrived against it, without DNS.
func ExampleServer_NewDKIMKey() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t)
		key := srv.NewDKIMKey("example.com", "s1", dkimtest.Ed25519)

		// The code under test, configured with key.Signer (or with
		// key.PrivateKeyPEM() written to a file):
		msg := "From: noreply@example.com\r\nTo: ann@example.org\r\nSubject: Welcome\r\n\r\nHello!\r\n"
		var signed bytes.Buffer
		if err := dkim.Sign(&signed, strings.NewReader(msg), &dkim.SignOptions{
			Domain: "example.com", Selector: "s1", Signer: key.Signer,
			HeaderKeys: []string{"From", "To", "Subject"},
		}); err != nil {
			t.Fatal(err)
		}
		if err := smtp.SendMail(srv.Addr(), nil, "noreply@example.com", []string{"ann@example.org"}, signed.Bytes()); err != nil {
			t.Fatal(err)
		}

		results, err := srv.VerifyDKIM(srv.Messages()[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range results {
			fmt.Println(r)
			fmt.Println("signed fields:", r.HeaderKeys)
		}
	})
	// Output:
	// d=example.com s=s1 ed25519-sha256 simple/simple: verified, aligned (strict) with From example.com
	// signed fields: [From To Subject]
}

// DKIMKeys registers a key the application already has (its private key
// file, or the TXT record it publishes, through dkimtest.ParseKey). A key
// registered after the message came still verifies it.
func ExampleServer_DKIMKeys() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t)

		// The application's own key, as its configuration holds it.
		own, err := dkimtest.GenerateKey("example.com", "app2026", dkimtest.Ed25519)
		if err != nil {
			t.Fatal(err)
		}
		pemFile := own.PrivateKeyPEM()

		// The code under test signs with it and sends.
		msg := "From: noreply@example.com\r\nTo: ann@example.org\r\nSubject: Welcome\r\n\r\nHello!\r\n"
		var signed bytes.Buffer
		if err := dkim.Sign(&signed, strings.NewReader(msg), &dkim.SignOptions{
			Domain: "example.com", Selector: "app2026", Signer: own.Signer,
		}); err != nil {
			t.Fatal(err)
		}
		if err := smtp.SendMail(srv.Addr(), nil, "noreply@example.com", []string{"ann@example.org"}, signed.Bytes()); err != nil {
			t.Fatal(err)
		}
		verify := func() {
			results, err := srv.VerifyDKIM(srv.Messages()[0])
			if err != nil {
				t.Fatal(err)
			}
			fmt.Println(results[0].Err == nil, errors.Is(results[0].Err, dkimtest.ErrNoKey))
		}
		verify() // no key registered yet

		key, err := dkimtest.ParseKey("example.com", "app2026", pemFile)
		if err != nil {
			t.Fatal(err)
		}
		srv.DKIMKeys().Add(key)
		verify()
	})
	// Output:
	// false true
	// true false
}

// DeleteMessages forgets some messages, as a mailbox UI's delete button
// would; the others, and the rejections, stay.
func ExampleServer_DeleteMessages() {
	srv, err := smtptest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	for _, subject := range []string{"one", "two", "three"} {
		msg := "From: a@example.com\r\nSubject: " + subject + "\r\n\r\nHi.\r\n"
		if err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte(msg)); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println(srv.DeleteMessages(1, 3), "deleted")
	for _, m := range srv.Summaries() {
		fmt.Println(m.ID, m.Subject)
	}
	// Output:
	// 2 deleted
	// 2 two
}

// A fault as a string, as the command's -fault takes it: a table row can
// carry it, and the test needs no import of go-smtp.
func ExampleParseFault() {
	srv, err := smtptest.Start(smtptest.MustParseFault("rcpt *@full.example reply 452 4.2.2 Mailbox full"))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	err = smtp.SendMail(srv.Addr(), nil, "app@example.com", []string{"ann@full.example"}, []byte("Subject: hi\r\n\r\nhi\r\n"))
	fmt.Println(err)
	_, err = smtptest.ParseFault("rcpt reply 250 fine")
	fmt.Println(err)
	// Output:
	// 452 "4.2.2 Mailbox full"
	// smtptest: fault "rcpt reply 250 fine": invalid Fault {RCPT reply 250 fine}: Reply code 250 is not 4xx or 5xx (syntax: STAGE [MATCH] [times=N] [rate=P] [delay=D] [after=BYTES] [drop | reply CODE [X.Y.Z] [TEXT...]])
}

// Reply makes a hook's reply without an import of go-smtp.
func ExampleReply() {
	srv, err := smtptest.Start(smtptest.Hooks{ValidateRecipient: func(to string) error {
		return smtptest.Reply(452, "4.2.2 Mailbox full")
	}})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	err = smtp.SendMail(srv.Addr(), nil, "app@example.com", []string{"ann@example.org"}, []byte("Subject: hi\r\n\r\nhi\r\n"))
	fmt.Println(err)
	// Output:
	// 452 "4.2.2 Mailbox full"
}

// Greylist answers a triplet's first attempt 451 4.7.1 and accepts a
// retry after Delay: a FakeClock stands for the wait, so the test
// checks the application's retry without sleeping.
func ExampleGreylist() {
	runTest(func(t testing.TB) { // func TestRetriesWhenGreylisted(t *testing.T) {
		clock := smtptest.NewFakeClock(time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC))
		srv := smtptest.NewServer(t, smtptest.Greylist{Delay: 5 * time.Minute, Clock: clock})
		msg := []byte("From: app@example.com\r\nTo: ann@example.org\r\nSubject: Hi\r\n" +
			"Date: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n\r\nHello.\r\n")

		err := smtp.SendMail(srv.Addr(), nil, "app@example.com", []string{"ann@example.org"}, msg)
		var refused *textproto.Error
		if errors.As(err, &refused) {
			fmt.Println("first attempt:", refused.Code, refused.Msg)
		}
		clock.Advance(5 * time.Minute) // the application's retry, five minutes later
		fmt.Println("retry:", smtp.SendMail(srv.Addr(), nil, "app@example.com", []string{"ann@example.org"}, msg))
		fmt.Println(len(srv.Messages()), "message,", len(srv.Rejections()), "refusal")
	})
	// Output:
	// first attempt: 451 4.7.1 Greylisted: try again later
	// retry: <nil>
	// 1 message, 1 refusal
}

// RateLimit answers a client over its rate 421 4.7.0 and hangs up, as
// big receivers throttle; a FakeClock refills the bucket without a wait.
func ExampleRateLimit() {
	runTest(func(t testing.TB) { // func TestBacksOffWhenThrottled(t *testing.T) {
		clock := smtptest.NewFakeClock(time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC))
		srv := smtptest.NewServer(t, smtptest.RateLimit{Messages: 1, Period: time.Minute, Clock: clock})
		msg := []byte("From: app@example.com\r\nTo: ann@example.org\r\nSubject: Hi\r\n" +
			"Date: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n\r\nHello.\r\n")
		send := func() error {
			return smtp.SendMail(srv.Addr(), nil, "app@example.com", []string{"ann@example.org"}, msg)
		}
		fmt.Println("first:", send())
		var refused *textproto.Error
		if errors.As(send(), &refused) {
			fmt.Println("second at once:", refused.Code, refused.Msg)
		}
		clock.Advance(time.Minute)
		fmt.Println("a minute later:", send())
	})
	// Output:
	// first: <nil>
	// second at once: 421 4.7.0 Message rate limit exceeded: slow down
	// a minute later: <nil>
}

// StrictSync refuses a client that pipelines where RFC 2920 forbids it,
// as Postfix 3.9 (smtpd_forbid_unauth_pipelining) and Exim
// (smtp_enforce_sync) do: here, one that sends MAIL with EHLO.
func ExampleStrictSync() {
	srv, err := smtptest.Start(smtptest.StrictSync{})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	r.ReadString('\n') // the greeting
	fmt.Fprint(conn, "EHLO client.example\r\nMAIL FROM:<app@example.com>\r\n")
	reply, _ := r.ReadString('\n')
	fmt.Println(strings.TrimSpace(reply))
	_, err = r.ReadString('\n')
	fmt.Println("then:", err)
	// Output:
	// 554 5.5.0 Error: SMTP protocol synchronization
	// then: EOF
}

// LikeGmail refuses bulk mail the way Gmail does: this newsletter has no
// one-click unsubscription and no DKIM signature.
func ExampleLikeGmail() {
	srv, err := smtptest.Start(smtptest.LikeGmail())
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	msg := "From: News <news@example.com>\r\nTo: ann@example.org\r\nSubject: This week\r\n" +
		"Date: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <w49@example.com>\r\n\r\nNews.\r\n"
	err = smtp.SendMail(srv.Addr(), nil, "news@example.com", []string{"ann@example.org"}, []byte(msg))
	var refused *textproto.Error
	if errors.As(err, &refused) {
		fmt.Println(refused.Code, refused.Msg)
	}
	// Output: 550 5.7.1 no List-Unsubscribe: Gmail and Yahoo require one-click unsubscription of bulk mail (RFC 8058 3.1)
}

// LikePostfix receives as Postfix 3.9 does with its defaults.
func ExampleLikePostfix() {
	srv, err := smtptest.Start(smtptest.LikePostfix())
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	cfg := srv.Config()
	fmt.Println(cfg.MaxMessageBytes, "bytes,", cfg.MaxRecipients, "recipients a message")
	// Output: 10240000 bytes, 1000 recipients a message
}

// Bounces accepts mail for the matching recipients, then bounces it to
// the app's inbound mail server, here another smtptest server: the test
// of the app's bounce processing gets a real RFC 3464 DSN. A FakeClock
// stands in for the hours a real relay keeps trying.
func ExampleBounces() {
	runTest(func(t testing.TB) { // func TestSuppressesBouncedAddress(t *testing.T) {
		inbound := smtptest.NewServer(t) // the app's bounce address is served here
		clock := smtptest.NewFakeClock(time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC))
		srv := smtptest.NewServer(t, smtptest.Bounces{
			Match:  "*@gone.example",
			Delay:  4 * time.Hour,
			Clock:  clock,
			SendTo: inbound.Addr(),
		})
		msg := []byte("From: app@example.com\r\nTo: ann@gone.example\r\nSubject: Hi\r\n" +
			"Date: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n\r\nHello.\r\n")
		fmt.Println("send:", smtp.SendMail(srv.Addr(), nil, "bounces@example.com", []string{"ann@gone.example"}, msg))

		clock.Advance(4 * time.Hour) // the DSN is sent within Advance
		dsn := inbound.WaitForMessages(1, 5*time.Second)[0]
		subject, _ := dsn.Subject()
		fmt.Printf("<%s> -> %v: %s\n", dsn.From, dsn.To, subject)
		for _, line := range strings.Split(string(dsn.Data), "\r\n") {
			if strings.HasPrefix(line, "Final-Recipient:") || strings.HasPrefix(line, "Status:") {
				fmt.Println(line)
			}
		}
	})
	// Output:
	// send: <nil>
	// <> -> [bounces@example.com]: Undelivered Mail Returned to Sender
	// Final-Recipient: rfc822; ann@gone.example
	// Status: 5.1.1
}

// Bounce makes the DSN for a message the server accepted; the test hands
// it to the app's bounce handler or sends it where the app listens.
func ExampleServer_Bounce() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t)
		msg := []byte("From: app@example.com\r\nTo: bob@example.org\r\nSubject: Hi\r\n" +
			"Date: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n\r\nHello.\r\n")
		if err := smtp.SendMail(srv.Addr(), nil, "bounces@example.com", []string{"bob@example.org"}, msg); err != nil {
			t.Fatal(err)
		}
		m := srv.WaitForMessages(1, 5*time.Second)[0]
		n, err := srv.Bounce(m, smtptest.DeliveryStatus{
			Reply: &gosmtp.SMTPError{Code: 552, EnhancedCode: gosmtp.EnhancedCode{5, 2, 2}, Message: "Mailbox full"},
		})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("%s to <%s>\n", n.Kind, n.To)
		fmt.Println(bytes.Contains(n.Data, []byte("Diagnostic-Code: smtp; 552 5.2.2 Mailbox full")))
		// Then: app.HandleBounce(n.Data), or n.Send(ctx, appInboundAddr).
	})
	// Output:
	// DSN to <bounces@example.com>
	// true
}

// AutoReply answers like an out-of-office responder, and stays silent
// where RFC 3834 says to: here, for the app's own list mail.
func ExampleServer_AutoReply() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t)
		for _, extra := range []string{"", "List-Id: <news.example.com>\r\n"} {
			msg := []byte("From: app@example.com\r\nTo: ann@example.org\r\nSubject: News\r\n" + extra +
				"Date: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n\r\nHello.\r\n")
			if err := smtp.SendMail(srv.Addr(), nil, "app@example.com", []string{"ann@example.org"}, msg); err != nil {
				t.Fatal(err)
			}
		}
		msgs := srv.WaitForMessages(2, 5*time.Second)
		n, err := srv.AutoReply(msgs[0], "ann@example.org", "Away until Monday.")
		fmt.Println(n.Kind, "to", n.To, err)
		_, err = srv.AutoReply(msgs[1], "ann@example.org", "Away until Monday.")
		fmt.Println(errors.Is(err, smtptest.ErrNoNotice), err)
	})
	// Output:
	// auto-reply to app@example.com <nil>
	// true smtptest: AutoReply: message 2 is list mail (List-Id): a receiver sends no notice here
}

// Complain makes the ARF report a mailbox provider's feedback loop sends
// when a recipient marks the message as spam.
func ExampleServer_Complain() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t)
		msg := []byte("From: app@example.com\r\nTo: ann@example.org\r\nSubject: Deals\r\n" +
			"Date: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n\r\nHello.\r\n")
		if err := smtp.SendMail(srv.Addr(), nil, "bounces@example.com", []string{"ann@example.org"}, msg); err != nil {
			t.Fatal(err)
		}
		m := srv.WaitForMessages(1, 5*time.Second)[0]
		n, err := srv.Complain(m, "ann@example.org", smtptest.Complaint{To: "fbl@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println(n.Kind, "to", n.To)
		fmt.Println(bytes.Contains(n.Data, []byte("Original-Rcpt-To: <ann@example.org>")))
	})
	// Output:
	// feedback report to fbl@example.com
	// true
}

// Tokens accepts OAuth 2.0 bearer tokens over XOAUTH2 and OAUTHBEARER,
// the mechanisms Gmail and Microsoft 365 require of apps in place of
// passwords; the message says who authenticated and how.
func ExampleTokens() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t, smtptest.Tokens(map[string]string{"app@example.com": "ya29.a0-test-token"}))
		c, err := gosmtp.Dial(srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		err = c.Auth(sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: "app@example.com", Token: "ya29.a0-test-token"}))
		fmt.Println("auth:", err)
		msg := "From: app@example.com\r\nTo: ann@example.org\r\nSubject: Hi\r\n\r\nHello.\r\n"
		if err := c.SendMail("app@example.com", []string{"ann@example.org"}, strings.NewReader(msg)); err != nil {
			t.Fatal(err)
		}
		m := srv.WaitForMessages(1, 5*time.Second)[0]
		fmt.Println(m.AuthUser, m.AuthMech)
	})
	// Output:
	// auth: <nil>
	// app@example.com OAUTHBEARER
}

// AuthMechanisms chooses what the server offers: here CRAM-MD5 only, over
// the Users table, for a client that must not send its password.
func ExampleAuthMechanisms() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t,
			smtptest.Users(map[string]string{"app": "s3cret"}),
			smtptest.AuthMechanisms(smtptest.MechCRAMMD5))
		msg := []byte("From: app@example.com\r\nTo: ann@example.org\r\nSubject: Hi\r\n\r\nHello.\r\n")
		err := smtp.SendMail(srv.Addr(), smtp.CRAMMD5Auth("app", "s3cret"), "app@example.com", []string{"ann@example.org"}, msg)
		fmt.Println(err)
		m := srv.WaitForMessages(1, 5*time.Second)[0]
		fmt.Println(m.AuthUser, m.AuthMech)
	})
	// Output:
	// <nil>
	// app CRAM-MD5
}

// ClientCertAuth asks TLS clients for a certificate and offers AUTH
// EXTERNAL to those that show one the test client CA signed.
func ExampleClientCertAuth() {
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t, smtptest.ClientCertAuth())
		cert, err := srv.ClientCertificate("relay.example.com")
		if err != nil {
			t.Fatal(err)
		}
		cfg := srv.ClientTLSConfig()
		cfg.Certificates = []tls.Certificate{cert}
		c, err := gosmtp.DialStartTLS(srv.Addr(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Println("auth:", c.Auth(sasl.NewExternalClient("")))
		msg := "From: app@example.com\r\nTo: ann@example.org\r\nSubject: Hi\r\n\r\nHello.\r\n"
		if err := c.SendMail("app@example.com", []string{"ann@example.org"}, strings.NewReader(msg)); err != nil {
			t.Fatal(err)
		}
		m := srv.WaitForMessages(1, 5*time.Second)[0]
		fmt.Println(m.AuthUser, m.AuthMech)
	})
	// Output:
	// auth: <nil>
	// relay.example.com EXTERNAL
}
