package web

import (
	"context"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smtptest/smtptest"
)

// Serve serves srv's web side ([Handler]) on 127.0.0.1, on a port the
// system picks, until the test ends, and returns its base URL
// ("http://127.0.0.1:PORT"): the UI is at "/", the API under "/api/",
// Mailpit's under "/api/v1/". opts may be nil; its Addr is the listener's.
// Serve fails the test (t.Fatal) if it cannot listen.
func Serve(t testing.TB, srv *smtptest.Server, opts *Options) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest/web: %v", err)
	}
	o := Options{}
	if opts != nil {
		o = *opts
	}
	o.Addr = ln.Addr().String()
	site := Handler(srv, &o)
	hs := &http.Server{Handler: site, ReadHeaderTimeout: 10 * time.Second}
	hs.RegisterOnShutdown(site.Close) // the UI's streams would hold Shutdown up
	done := make(chan struct{})
	go func() {
		defer close(done)
		hs.Serve(ln)
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(ctx) // ends the streams, waits for requests in flight
		hs.Close()
		<-done
	})
	return "http://" + o.Addr
}

// DebugEnv is the environment variable that turns [Debug] on.
const DebugEnv = "SMTPTEST_UI"

// Debug serves srv's web UI for a person debugging the test, when the
// environment variable SMTPTEST_UI is set, and does nothing otherwise:
// a call can stay in a test for good. It logs the URL to open:
//
//	SMTPTEST_UI=1 go test -run TestSignup -v ./...
//	SMTPTEST_UI=2m go test -run TestSignup -v ./...
//
// With a duration ("2m", "30s") the UI stays up that long after the
// test's body has returned (its cleanup waits, while the server still
// runs), so that what was sent can be read at leisure; with any other
// value ("1", "true") it is served while the test runs. "0", "false"
// and "" turn it off. Debug fails the test (t.Fatal) if it cannot
// listen. Call it after [smtptest.NewServer]: cleanups run in reverse,
// so the wait comes before the server closes.
func Debug(t testing.TB, srv *smtptest.Server) {
	t.Helper()
	v := strings.TrimSpace(os.Getenv(DebugEnv))
	if off, err := strconv.ParseBool(v); v == "" || v == "0" || (err == nil && !off) {
		return
	}
	url := Serve(t, srv, nil)
	hold, err := time.ParseDuration(v)
	if err != nil || hold <= 0 {
		t.Logf("smtptest: web UI of this test's server at %s (while the test runs; %s=DURATION keeps it up after)", url, DebugEnv)
		return
	}
	t.Logf("smtptest: web UI of this test's server at %s (up for %v after the test)", url, hold)
	t.Cleanup(func() {
		t.Logf("smtptest: web UI at %s: %v left to look", url, hold)
		time.Sleep(hold) // a person is reading the page: nothing to wait on but the time asked for
	})
}
