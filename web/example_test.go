package web_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"net/textproto"
	"os"
	"regexp"
	"runtime"
	"sync"
	"testing"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/web"
)

const welcome = "From: app@example.com\r\nTo: ann@example.org\r\nSubject: Welcome, Ann\r\n" +
	"Date: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n\r\nHello.\r\n"

// getJSON decodes the JSON answer to GET url into v.
func getJSON(url string, v any) {
	resp, err := http.Get(url)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		panic(err)
	}
}

// A server's web side on an HTTP server of the caller's: here
// httptest's, read through Mailpit's API.
func ExampleHandler() {
	srv, err := smtptest.Start()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	site := web.Handler(srv, nil)
	defer site.Close()
	hs := httptest.NewServer(site)
	defer hs.Close()

	if err := smtp.SendMail(srv.Addr(), nil, "app@example.com", []string{"ann@example.org"}, []byte(welcome)); err != nil {
		panic(err)
	}
	var list struct {
		Total    int
		Messages []struct{ Subject string }
	}
	getJSON(hs.URL+"/api/v1/messages", &list)
	fmt.Println(list.Total, list.Messages[0].Subject)
	// Output: 1 Welcome, Ann
}

// Faults put in force through the Site are listed by its API, from
// where a client (or the UI) may remove them.
func ExampleSite_AddFault() {
	srv, err := smtptest.Start()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	site := web.Handler(srv, nil)
	defer site.Close()
	hs := httptest.NewServer(site)
	defer hs.Close()

	if err := site.AddFault("rcpt *@bad.example reply 550 5.1.1 No such user"); err != nil {
		panic(err)
	}
	err = smtp.SendMail(srv.Addr(), nil, "app@example.com", []string{"eve@bad.example"}, []byte(welcome))
	var refused *textproto.Error
	if errors.As(err, &refused) {
		fmt.Println(refused.Code, refused.Msg)
	}
	var faults []struct {
		ID   int
		Spec string
	}
	getJSON(hs.URL+"/api/faults", &faults)
	fmt.Println(faults[0].ID, faults[0].Spec)
	// Output:
	// 550 5.1.1 No such user
	// 1 rcpt *@bad.example reply 550 5.1.1 No such user
}

// Serve gives a test the base URL of its own server's web side, for a
// client under test that reads mail through Mailpit's API.
func ExampleServe() {
	runTest(func(t testing.TB) { // func TestSignup(t *testing.T) {
		srv := smtptest.NewServer(t)
		base := web.Serve(t, srv, nil) // closed when the test ends

		if err := smtp.SendMail(srv.Addr(), nil, "app@example.com", []string{"ann@example.org"}, []byte(welcome)); err != nil {
			t.Fatal(err)
		}
		var found struct {
			Count int `json:"messages_count"`
		}
		getJSON(base+"/api/v1/search?query=subject:Welcome", &found)
		fmt.Println(found.Count, "message found")
	})
	// Output: 1 message found
}

// Debug leaves a test as it is unless SMTPTEST_UI is set; then it
// serves the UI of the test's server and logs where.
func ExampleDebug() {
	os.Setenv(web.DebugEnv, "1") // as "SMTPTEST_UI=1 go test -run TestSignup -v" would
	defer os.Unsetenv(web.DebugEnv)
	runTest(func(t testing.TB) {
		srv := smtptest.NewServer(t)
		web.Debug(t, srv)
	})
	// Output: smtptest: web UI of this test's server at http://127.0.0.1:[port] (while the test runs; SMTPTEST_UI=DURATION keeps it up after)
}

// runTest runs f the way `go test` runs a test function, with exampleT
// standing in for its *testing.T, so that the examples run and their
// output is checked. In a test of your own, use t itself.
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

// exampleT prints what a test logs, with ports as "[port]".
type exampleT struct {
	testing.TB // for the unexported method; the methods used are below

	mu       sync.Mutex
	cleanups []func()
}

var examplePort = regexp.MustCompile(`127\.0\.0\.1:\d+`)

func (t *exampleT) Helper()      {}
func (t *exampleT) Name() string { return "Example" }
func (t *exampleT) Failed() bool { return false } // Fatal ends the example
func (t *exampleT) Logf(format string, args ...any) {
	fmt.Println(examplePort.ReplaceAllString(fmt.Sprintf(format, args...), "127.0.0.1:[port]"))
}
func (t *exampleT) Fatal(args ...any) { fmt.Println(args...); runtime.Goexit() }
func (t *exampleT) Fatalf(format string, args ...any) {
	fmt.Printf(format+"\n", args...)
	runtime.Goexit()
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
