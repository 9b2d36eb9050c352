package uitest

import (
	"bufio"
	"context"
	"fmt"
	"net/smtp"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// binary is cmd/smtptest, built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "uitest")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "smtptest")
	build := exec.Command("go", "build", "-o", binary, "./cmd/smtptest")
	build.Dir = ".." // the root module
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// bound turns a hang into a failure; passing tests never wait it out.
const bound = 20 * time.Second

// server is a running cmd/smtptest with its web UI.
type server struct {
	smtp string // host:port
	http string // http://host:port
	seed string
}

func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"-addr", "127.0.0.1:0", "-http", "127.0.0.1:0", "-quiet"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("no ready line: %v", err)
	}
	// smtptest: listening on ADDR - HTTP API on URL - fault seed N
	f := strings.Fields(ready)
	i := strings.Index(ready, "HTTP API on ")
	if len(f) < 4 || i < 0 {
		t.Fatalf("ready line %q", ready)
	}
	return &server{smtp: f[3], http: strings.Fields(ready[i+len("HTTP API on "):])[0], seed: f[len(f)-1]}
}

// send delivers one message.
func (s *server) send(t *testing.T, from, to, msg string) error {
	t.Helper()
	return smtp.SendMail(s.smtp, nil, from, []string{to}, []byte(strings.ReplaceAll(msg, "\n", "\r\n")))
}

// browser is a headless Chromium tab, and what it asked the network for.
type browser struct {
	ctx      context.Context
	mu       sync.Mutex
	requests []string // every URL the page and its frames requested
	errors   []string // JavaScript exceptions and console errors
}

// chromium finds Debian's chromium (or $CHROMIUM).
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium is needed (Debian package chromium; .ci/run installs it)")
	return ""
}

// newBrowser starts headless Chromium for t. Its background networking is
// off (this machine may have no network: it would only fail, noisily).
// "Delete all?" and the other confirmations are accepted.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser and the tab
		t.Fatalf("chromium: %v", err)
	}
	b := &browser{ctx: ctx}
	err := chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			b.requests = append(b.requests, ev.Request.URL)
		case *runtime.EventExceptionThrown:
			b.errors = append(b.errors, fmt.Sprintf("exception: %s %s", ev.ExceptionDetails.Text, describe(ev.ExceptionDetails.Exception)))
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, describe(a))
				}
				b.errors = append(b.errors, "console.error: "+strings.Join(parts, " "))
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, e := range b.errors {
			t.Errorf("in the page: %s", e)
		}
	})
	return b
}

func describe(o *runtime.RemoteObject) string {
	if o == nil {
		return ""
	}
	if o.Description != "" {
		return o.Description
	}
	return string(o.Value)
}

// do runs actions, bounded in time, failing t on error.
func (b *browser) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, bound)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, b *browser, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, bound)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// requestedElsewhere returns the URLs requested so far whose host is not
// host.
func (b *browser) requestedElsewhere(host string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, r := range b.requests {
		u, err := url.Parse(r)
		if err != nil || (u.Scheme != "data" && u.Host != host) {
			out = append(out, r)
		}
	}
	return out
}

// screenshot saves the page as PNG in the test's artifact directory.
func (b *browser) screenshot(t *testing.T, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, bound)
	defer cancel()
	res, err := chromedp.Call(ctx, page.CaptureScreenshot, page.CaptureScreenshotParams{Format: page.CaptureScreenshotFormatPng})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.ArtifactDir(), name)
	if err := os.WriteFile(path, res.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

// text reads the text of the first element sel selects.
func (b *browser) text(t *testing.T, sel string) string {
	t.Helper()
	return eval[string](t, b, fmt.Sprintf("document.querySelector(%q)?.textContent ?? ''", sel))
}

// count counts the elements sel selects.
func (b *browser) count(t *testing.T, sel string) int {
	t.Helper()
	return eval[int](t, b, fmt.Sprintf("document.querySelectorAll(%q).length", sel))
}

// until waits until a JavaScript expression is true.
func until(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](expr, chromedp.WithPollingInterval(20*time.Millisecond))(ctx, t)
		return err
	})
}

// waitCount waits until sel selects n elements.
func waitCount(sel string, n int) chromedp.Action[chromedp.Void] {
	return until(fmt.Sprintf("document.querySelectorAll(%q).length === %d", sel, n))
}

// waitText waits until the first element sel selects contains s.
func waitText(sel, s string) chromedp.Action[chromedp.Void] {
	return until(fmt.Sprintf("(document.querySelector(%q)?.textContent || '').includes(%q)", sel, s))
}

// setValue sets an input's value as typing would: an input event after.
func setValue(sel, v string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](fmt.Sprintf(
			`(e => { e.value = %q; e.dispatchEvent(new Event("input", {bubbles: true})); return true })(document.querySelector(%q))`, v, sel))(ctx, t)
		return err
	})
}
