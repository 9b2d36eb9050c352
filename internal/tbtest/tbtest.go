// Package tbtest provides a fake testing.TB for testing test helpers: it
// records what they log and report instead of failing the real test, or
// prints it, for runnable Examples.
package tbtest

import (
	"fmt"
	"io"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// TB is a fake testing.TB. Make one with Run (or Example).
// Methods it does not override (TempDir, Setenv, ...) go to the real test.
type TB struct {
	testing.TB // the real test, for the methods TB does not override

	mu       sync.Mutex
	logs     []string
	errs     []string
	failed   bool
	fatal    bool
	cleanups []func()
	print    bool // Example: print logs and reports to standard output
}

// Run calls f with a fake TB on a goroutine of its own (so that Fatal can
// end it), then runs the fake's cleanups, and returns the fake.
func Run(t testing.TB, f func(tb *TB)) *TB {
	t.Helper()
	tb := &TB{TB: t}
	tb.run(func() { f(tb) })
	return tb
}

// run calls f on a goroutine of its own, then the cleanups, and waits.
func (tb *TB) run(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer tb.runCleanups()
		f()
	}()
	<-done
}

func (tb *TB) runCleanups() {
	for {
		tb.mu.Lock()
		if len(tb.cleanups) == 0 {
			tb.mu.Unlock()
			return
		}
		f := tb.cleanups[len(tb.cleanups)-1]
		tb.cleanups = tb.cleanups[:len(tb.cleanups)-1]
		tb.mu.Unlock()
		f()
	}
}

func (tb *TB) Helper()                           {}
func (tb *TB) Name() string                      { return "Fake" }
func (tb *TB) Log(args ...any)                   { tb.log(fmt.Sprintln(args...)) }
func (tb *TB) Logf(format string, args ...any)   { tb.log(fmt.Sprintf(format, args...)) }
func (tb *TB) Error(args ...any)                 { tb.err(fmt.Sprintln(args...)) }
func (tb *TB) Errorf(format string, args ...any) { tb.err(fmt.Sprintf(format, args...)) }
func (tb *TB) Fatal(args ...any)                 { tb.err(fmt.Sprintln(args...)); tb.FailNow() }
func (tb *TB) Fatalf(format string, args ...any) { tb.err(fmt.Sprintf(format, args...)); tb.FailNow() }

func (tb *TB) Fail() {
	tb.mu.Lock()
	tb.failed = true
	tb.mu.Unlock()
}

func (tb *TB) FailNow() {
	tb.mu.Lock()
	tb.failed, tb.fatal = true, true
	tb.mu.Unlock()
	runtime.Goexit()
}

func (tb *TB) Failed() bool {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return tb.failed
}

func (tb *TB) Cleanup(f func()) {
	tb.mu.Lock()
	tb.cleanups = append(tb.cleanups, f)
	tb.mu.Unlock()
}

func (tb *TB) log(s string) {
	tb.mu.Lock()
	tb.logs = append(tb.logs, strings.TrimSuffix(s, "\n"))
	tb.mu.Unlock()
	if tb.print {
		fmt.Println(printed(strings.TrimSuffix(s, "\n")))
	}
}

func (tb *TB) err(s string) {
	tb.mu.Lock()
	tb.errs = append(tb.errs, strings.TrimSuffix(s, "\n"))
	tb.failed = true
	tb.mu.Unlock()
	if tb.print {
		fmt.Println(printed(strings.TrimSuffix(s, "\n")))
	}
}

// Logs returns what was logged with Log and Logf, one entry per call.
func (tb *TB) Logs() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return append([]string(nil), tb.logs...)
}

// Errors returns what was reported with Error, Errorf, Fatal and Fatalf.
func (tb *TB) Errors() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return append([]string(nil), tb.errs...)
}

// Fataled reports whether Fatal, Fatalf or FailNow was called.
func (tb *TB) Fataled() bool {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return tb.fatal
}

// Output returns a writer whose writes are logged like Log.
func (tb *TB) Output() io.Writer { return writerFunc(tb.log) }

type writerFunc func(string)

func (f writerFunc) Write(p []byte) (int, error) {
	f(string(p))
	return len(p), nil
}

// Text returns the logs and errors joined, for substring checks.
func (tb *TB) Text() string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return strings.Join(append(append([]string(nil), tb.logs...), tb.errs...), "\n")
}

// Example runs f the way `go test` runs a test function, with a fake TB
// that prints what f logs and reports to standard output, so that a
// runnable Example can show a failure in its checked output. The printed
// text is made the same on every run: go-cmp's random no-break spaces
// become spaces, ports "[port]", "(made at file:line)" loses its line, and
// an SMTP transcript (ports, times) becomes "[...]".
func Example(f func(t testing.TB)) {
	tb := &TB{print: true}
	tb.run(func() { f(tb) })
}

// loopbackPort is a server's address, whose port changes from run to run;
// madeAt where a server was made, whose line changes with every edit.
var (
	loopbackPort = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	madeAt       = regexp.MustCompile(`\(made at ([^:()]+):\d+\)`)
)

// printed makes s stable for an Example's output.
func printed(s string) string {
	s = strings.ReplaceAll(s, "\u00a0", " ")
	s = loopbackPort.ReplaceAllString(s, "127.0.0.1:[port]")
	s = madeAt.ReplaceAllString(s, "(made at $1)")
	if i := strings.Index(s, "SMTP transcript:\n"); i >= 0 {
		s = s[:i] + "SMTP transcript:\n[...]"
	}
	return s
}
