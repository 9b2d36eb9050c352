package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/smtp"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/smtptest/smtptest/web"
)

// binary is the command, built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "smtptest-cmd")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "smtptest")
	if b := os.Getenv("SMTPTEST_BINARY"); b != "" {
		binary = b // a build to check, such as an older one the tests must fail on
	} else if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// bound turns a hang into a failure; passing tests never wait it out.
const bound = 20 * time.Second

// proc is a running smtptest.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	lines  chan string
	stderr *syncBuffer
	addr   string // SMTP
	api    string // http://host:port, with -http
}

// start runs smtptest with args (and -addr 127.0.0.1:0 unless given) and
// reads its ready line.
func start(t *testing.T, args ...string) *proc {
	t.Helper()
	if !slices.Contains(args, "-addr") {
		args = append([]string{"-addr", "127.0.0.1:0"}, args...)
	}
	return startCmd(t, exec.Command(binary, args...))
}

// startCmd runs cmd (smtptest, perhaps under a wrapper or with an
// environment of its own) as start does.
func startCmd(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{t: t, cmd: cmd, lines: make(chan string, 1000), stderr: new(syncBuffer)}
	p.cmd.Stderr = p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	ready := p.line()
	if strings.HasPrefix(ready, "{") {
		var ev struct{ Addr, HTTP string }
		if err := json.Unmarshal([]byte(ready), &ev); err != nil {
			t.Fatalf("ready line %q: %v", ready, err)
		}
		p.addr, p.api = ev.Addr, ev.HTTP
	} else {
		f := strings.Fields(ready)
		if len(f) < 4 || f[1] != "listening" {
			t.Fatalf("ready line %q", ready)
		}
		p.addr = f[3]
		if i := strings.Index(ready, "HTTP API on "); i >= 0 {
			p.api = strings.Fields(ready[i+len("HTTP API on "):])[0]
		}
	}
	return p
}

// syncBuffer is a bytes.Buffer that the command's stderr copier and the
// test may use at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// line returns the next line of standard output.
func (p *proc) line() string {
	p.t.Helper()
	select {
	case l, ok := <-p.lines:
		if !ok {
			p.t.Fatalf("smtptest ended; stderr:\n%s", p.stderr)
		}
		return l
	case <-time.After(bound):
		p.t.Fatalf("no output; stderr:\n%s", p.stderr)
		return ""
	}
}

// stop signals smtptest and returns its exit status and the rest of its
// output.
func (p *proc) stop(sig os.Signal) (int, []string) {
	p.t.Helper()
	p.cmd.Process.Signal(sig)
	var rest []string
	for l := range p.lines {
		rest = append(rest, l)
	}
	p.cmd.Wait()
	return p.cmd.ProcessState.ExitCode(), rest
}

// send delivers a message with net/smtp and ends the session with QUIT
// even when the message was refused, so that the server is done with the
// connection once send returns. (net/smtp's SendMail just closes the
// socket after an error: a shutdown racing that close finds the session
// idle and answers it 421, a refusal more in the output.)
func (p *proc) send(from string, to []string, msg string) error {
	c, err := smtp.Dial(p.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	err = sendOn(c, from, to, msg)
	if qerr := c.Quit(); err == nil {
		err = qerr
	}
	return err
}

// sendOn sends one message on an open net/smtp session.
func sendOn(c *smtp.Client, from string, to []string, msg string) error {
	if err := c.Mail(from); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, msg); err != nil {
		return err
	}
	return w.Close()
}

const msg = "From: app@example.com\r\nTo: ann@example.org\r\nSubject: Hello\r\n\r\nHi Ann.\r\nFrom the app.\r\n"

func TestPrintsMessagesAndStopsCleanly(t *testing.T) {
	for _, sig := range []os.Signal{syscall.SIGTERM, os.Interrupt} {
		p := start(t)
		if err := p.send("app@example.com", []string{"ann@example.org"}, msg); err != nil {
			t.Fatal(err)
		}
		line := p.line()
		if !strings.Contains(line, fmt.Sprintf(` message 1: from <app@example.com> to <ann@example.org> subject "Hello" (%d bytes, conn 1)`, len(msg))) {
			t.Errorf("message line %q", line)
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000Z07:00", strings.Fields(line)[0]); err != nil {
			t.Errorf("message line does not start with the time: %q", line)
		}
		code, rest := p.stop(sig)
		if code != 0 || len(rest) != 2 || !strings.HasPrefix(rest[0], "smtptest: stopping: ") || rest[1] != "smtptest: stopped: 1 message(s), 0 refusal(s)" {
			t.Errorf("%v: exit %d, output %q, stderr %s", sig, code, rest, p.stderr)
		}
	}
}

func TestJSONEvents(t *testing.T) {
	p := start(t, "-json", "-fault", "rcpt *@bad.example reply 550 5.1.1 No such user", "-print-data")
	if err := p.send("app@example.com", []string{"ann@example.org"}, msg); err != nil {
		t.Fatal(err)
	}
	p.send("app@example.com", []string{"eve@bad.example"}, msg)
	code, rest := p.stop(syscall.SIGTERM)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	kinds := map[float64][]string{} // per connection: the order across connections is not fixed
	var all []string
	for _, l := range rest {
		var ev map[string]any
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		conn, _ := ev["conn"].(float64)
		kinds[conn] = append(kinds[conn], ev["event"].(string))
		all = append(all, ev["event"].(string))
		switch ev["event"] {
		case "message":
			if ev["from"] != "app@example.com" || ev["subject"] != "Hello" || ev["size"] != float64(len(msg)) || ev["data"] != msg || ev["id"] != 1.0 {
				t.Errorf("message event %v", ev)
			}
		case "rejection":
			if ev["stage"] != "RCPT" || ev["arg"] != "eve@bad.example" || ev["code"] != 550.0 || ev["enhanced_code"] != "5.1.1" {
				t.Errorf("rejection event %v", ev)
			}
		}
	}
	for conn, want := range map[float64]string{1: "connect message close", 2: "connect rejection close", 0: "stopping stopped"} {
		if got := strings.Join(kinds[conn], " "); got != want {
			t.Errorf("events of conn %v: %q, want %q (all: %q)", conn, got, want, all)
		}
	}
}

func TestSavesEMLAndMbox(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	mbox := filepath.Join(t.TempDir(), "all.mbox")
	p := start(t, "-dir", dir, "-mbox", mbox)
	for i := range 3 {
		if err := p.send("", []string{"ann@example.org"}, fmt.Sprintf("Subject: %d\r\n\r\nFrom line %d\r\n", i, i)); err != nil {
			t.Fatal(err)
		}
		if l := p.line(); !strings.Contains(l, ", saved as "+dir) {
			t.Errorf("message line %q does not name its file", l)
		}
	}
	p.stop(syscall.SIGTERM)
	names, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil || len(names) != 3 {
		t.Fatalf("files %v, %v", names, err)
	}
	slices.Sort(names)
	for i, name := range names {
		data, _ := os.ReadFile(name)
		if want := fmt.Sprintf("Subject: %d\r\n\r\nFrom line %d\r\n", i, i); string(data) != want {
			t.Errorf("%s = %q, want %q (files sort by arrival)", name, data, want)
		}
	}
	data, _ := os.ReadFile(mbox)
	if n := strings.Count(string(data), "\nFrom MAILER-DAEMON "); n != 2 || !strings.HasPrefix(string(data), "From MAILER-DAEMON ") || !strings.Contains(string(data), "\n>From line 2\n") {
		t.Errorf("mbox:\n%s", data)
	}
}

func TestWriteFailureRefusesAndReports(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	p := start(t, "-dir", dir)
	// The directory becomes a file: saving fails (even for root).
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := p.send("app@example.com", []string{"ann@example.org"}, msg)
	var tp *textproto.Error
	if !errors.As(err, &tp) || tp.Code != 451 {
		t.Errorf("send: %v, want 451 (the client keeps the message and retries)", err)
	}
	code, rest := p.stop(syscall.SIGTERM)
	if !strings.Contains(p.stderr.String(), "smtptest: error: message 1 from <app@example.com> refused: open "+dir) {
		t.Errorf("stderr: %s", p.stderr)
	}
	if code != 0 || !slices.Contains(rest, "smtptest: stopped: 0 message(s), 1 refusal(s)") {
		t.Errorf("exit %d, output %q", code, rest)
	}
}

func TestFaultFlags(t *testing.T) {
	p := start(t, "-fault", "rcpt *@bad.example reply 550 5.1.1 No such user", "-fault", "end-of-data times=1 reply 451 4.3.0 Try again later")
	var tp *textproto.Error
	if err := p.send("app@example.com", []string{"x@BAD.example"}, msg); !errors.As(err, &tp) || tp.Code != 550 || tp.Msg != "5.1.1 No such user" {
		t.Errorf("bad recipient: %v", err)
	}
	if err := p.send("app@example.com", []string{"ann@example.org"}, msg); !errors.As(err, &tp) || tp.Code != 451 {
		t.Errorf("first delivery: %v", err)
	}
	if err := p.send("app@example.com", []string{"ann@example.org"}, msg); err != nil {
		t.Errorf("retry: %v", err)
	}
	for _, want := range []string{"refused (conn 1) RCPT x@BAD.example: 550 5.1.1 No such user", "refused (conn 2) end of data: 451 4.3.0 Try again later", "message 1:"} {
		if l := p.line(); !strings.Contains(l, want) {
			t.Errorf("line %q, want %q", l, want)
		}
	}
}

func TestTLSAndAuthFlags(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	p := start(t, "-starttls", "-cert-out", ca, "-user", "app:s3cret", "-require-auth")
	pem, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatalf("-cert-out wrote %q", pem)
	}
	c, err := smtp.Dial(p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("app@example.com"); err == nil {
		t.Error("MAIL before AUTH accepted")
	}
	if err := c.StartTLS(&tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(smtp.PlainAuth("", "app", "s3cret", "127.0.0.1")); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("app@example.com"); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	if l := p.line(); !strings.Contains(l, "refused (conn 1) MAIL app@example.com: 530 5.7.0 Authentication required") {
		t.Errorf("line %q", l)
	}
	code, _ := p.stop(syscall.SIGTERM)
	if code != 0 {
		t.Errorf("exit %d", code)
	}
}

func TestShutdownTimeoutCutsOffAStuckTransaction(t *testing.T) {
	p := start(t, "-shutdown-timeout", "100ms")
	c, err := smtp.Dial(p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("app@example.com"); err != nil { // and nothing more
		t.Fatal(err)
	}
	code, rest := p.stop(syscall.SIGTERM)
	if code != 0 || !strings.Contains(p.stderr.String(), "smtptest: error: shutdown: messages still in flight after 100ms were cut off") ||
		rest[len(rest)-1] != "smtptest: stopped: 0 message(s), 0 refusal(s)" {
		t.Errorf("exit %d, output %q, stderr %q", code, rest, p.stderr)
	}
}

func TestHTTPAPI(t *testing.T) {
	p := start(t, "-http", "127.0.0.1:0", "-quiet")
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: bound}
	do := func(method, path, body string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, p.api+path, strings.NewReader(body))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}

	// wait, with the message sent while the request waits
	waited := make(chan []byte, 1)
	go func() {
		_, b := do("GET", "/api/messages/wait?count=1&timeout=20s", "")
		waited <- b
	}()
	multipart := "From: app@example.com\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nHello\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\n%PDF\r\n--b--\r\n"
	if err := p.send("app@example.com", []string{"ann@example.org"}, multipart); err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	if err := json.Unmarshal(<-waited, &list); err != nil || len(list) != 1 || list[0]["subject"] != "Café" || list[0]["id"] != 1.0 {
		t.Fatalf("wait: %v %v", list, err)
	}

	status, b := do("GET", "/api/messages/1", "")
	var detail map[string]any
	json.Unmarshal(b, &detail)
	atts, _ := detail["attachments"].([]any)
	if status != 200 || detail["text"] != "Hello" || len(atts) != 1 || atts[0].(map[string]any)["filename"] != "a.pdf" {
		t.Errorf("detail %d %s", status, b)
	}
	if status, b := do("GET", "/api/messages/1/raw", ""); status != 200 || string(b) != multipart {
		t.Errorf("raw %d %q", status, b)
	}
	if status, _ := do("GET", "/api/messages/2", ""); status != 404 {
		t.Errorf("missing message: %d", status)
	}

	// faults
	if status, b := do("POST", "/api/faults", "rcpt *@bad.example reply 550 5.1.1 Nope"); status != 201 || !strings.Contains(string(b), `"id": 1`) {
		t.Errorf("add fault: %d %s", status, b)
	}
	if status, b := do("POST", "/api/faults", "rcpt reply 250"); status != 400 || !strings.Contains(string(b), "not 4xx or 5xx") {
		t.Errorf("bad fault: %d %s", status, b)
	}
	var tp *textproto.Error
	if err := p.send("app@example.com", []string{"x@bad.example"}, msg); !errors.As(err, &tp) || tp.Code != 550 {
		t.Errorf("with the fault: %v", err)
	}
	if status, b := do("GET", "/api/rejections", ""); status != 200 || !strings.Contains(string(b), `"arg": "x@bad.example"`) {
		t.Errorf("rejections %d %s", status, b)
	}
	if status, b := do("GET", "/api/faults", ""); status != 200 || !strings.Contains(string(b), `"spec": "rcpt *@bad.example reply 550 5.1.1 Nope"`) {
		t.Errorf("faults %d %s", status, b)
	}
	if status, _ := do("DELETE", "/api/faults/1", ""); status != 204 {
		t.Errorf("remove fault: %d", status)
	}
	if status, _ := do("DELETE", "/api/faults/1", ""); status != 404 {
		t.Errorf("remove it again: %d", status)
	}
	if err := p.send("app@example.com", []string{"x@bad.example"}, msg); err != nil {
		t.Errorf("fault removed, still refused: %v", err)
	}
	do("POST", "/api/faults", "connect reply 421")
	if status, _ := do("DELETE", "/api/faults", ""); status != 204 {
		t.Errorf("clear faults: %d", status)
	}
	if err := p.send("app@example.com", []string{"ann@example.org"}, msg); err != nil {
		t.Errorf("faults cleared, still refused: %v", err)
	}

	if status, b := do("GET", "/api/transcript", ""); status != 200 || !strings.Contains(string(b), "C: MAIL FROM:<app@example.com>") {
		t.Errorf("transcript %d", status)
	}
	if status, _ := do("DELETE", "/api/messages", ""); status != 204 {
		t.Errorf("delete: %d", status)
	}
	if status, b := do("GET", "/api/messages/wait?count=1&timeout=10ms", ""); status != 408 || strings.TrimSpace(string(b)) != "[]" {
		t.Errorf("wait timeout: %d %s", status, b)
	}
	if status, _ := do("GET", "/api/messages/wait?count=x", ""); status != 400 {
		t.Errorf("bad count: %d", status)
	}
	code, rest := p.stop(syscall.SIGTERM)
	if code != 0 || len(rest) != 0 {
		t.Errorf("-quiet: exit %d, output %q", code, rest)
	}
}

func TestShutdownFinishesMessageInFlight(t *testing.T) {
	p := start(t)
	c, err := smtp.Dial(p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Mail("app@example.com")
	c.Rcpt("ann@example.org")
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("Subject: in flight\r\n\r\n"))
	p.cmd.Process.Signal(syscall.SIGTERM)
	if l := p.line(); !strings.HasPrefix(l, "smtptest: stopping") {
		t.Fatalf("after SIGTERM: %q", l)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("the message in flight: %v", err)
	}
	var rest []string
	for l := range p.lines {
		rest = append(rest, l)
	}
	p.cmd.Wait()
	if code := p.cmd.ProcessState.ExitCode(); code != 0 || len(rest) != 3 || !strings.Contains(rest[0], `subject "in flight"`) ||
		!strings.HasSuffix(rest[1], "refused (conn 1) other: 421 4.3.2 Service shutting down") || rest[2] != "smtptest: stopped: 1 message(s), 1 refusal(s)" {
		t.Errorf("exit %d, output %q", code, rest) // then the idle session is told 421
	}
}

func TestBadUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-nope"}, "flag provided but not defined: -nope"},
		{[]string{"-fault", "rcpt reply 250"}, "Reply code 250 is not 4xx or 5xx"},
		{[]string{"-fault", "sometime reply 550"}, `unknown stage "sometime"`},
		{[]string{"-tls-cert", "c.pem"}, "-tls-cert and -tls-key go together"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-max-size", "0"}, "MaxMessageBytes(0)"},
		{[]string{"-require-auth"}, "-require-auth needs at least one -user"},
		{[]string{"-user", "nopassword"}, "want name:password"},
		{[]string{"-cert-out", "x.pem"}, "-cert-out needs -starttls or -tls"},
	}
	for _, tt := range tests {
		code, stderr := runBad(t, tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, "smtptest -h") {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
}

// runBad runs smtptest with args that should make it refuse to start, and
// returns its exit status and standard error.
func runBad(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(binary, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("%q: %v (it started?)", args, err)
	}
	return ee.ExitCode(), stderr.String()
}

func TestAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var stderr bytes.Buffer
	cmd := exec.Command(binary, "-addr", ln.Addr().String())
	cmd.Stderr = &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(stderr.String(), "address already in use") {
		t.Errorf("%v, stderr %q; want exit 1", err, stderr.String())
	}
}

func TestManual(t *testing.T) {
	out, err := exec.Command(binary, "-h").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, section := range []string{"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "FAULTS", "HTTP API", "EXAMPLES", "EXIT STATUS", "DKIM", "WEB UI", "open http://127.0.0.1:8025/ for the web UI", "MAILPIT API", "/api/v1/search?query=", "wait until N messages kept match", "-dkim-key domain:selector:file", "-bulk-sender", "-fault spec", "-http host:port", "reject every recipient at bad.example with 550", "fail the first delivery with 451"} {
		if !strings.Contains(string(out), section) {
			t.Errorf("the manual lacks %q", section)
		}
	}
}

// TestAuthSecretsNeverPrinted sends AUTH secrets in unusual forms and
// checks every output of the command: the JSON events, standard error and
// the HTTP API.
func TestAuthSecretsNeverPrinted(t *testing.T) {
	const password = "Tr0ub4dor&3"
	plain := base64.StdEncoding.EncodeToString([]byte("\x00app\x00" + password))
	pass := base64.StdEncoding.EncodeToString([]byte(password))
	p := start(t, "-json", "-http", "127.0.0.1:0", "-user", "app:"+password, "-auth-requires-tls", "-starttls")
	nc, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	fmt.Fprintf(nc, "AUTH PLAIN\r\n%s\r\nEHLO x\r\nAUTH\tPLAIN\t%s\r\nAUTH LOGIN\r\nYXBw\r\n%s\r\nauth plain %s\r\nQUIT\r\n", plain, plain, pass, plain)
	nc.SetReadDeadline(time.Now().Add(bound))
	if _, err := io.ReadAll(nc); err != nil {
		t.Fatal(err)
	}
	var api []string
	for _, path := range []string{"/api/rejections", "/api/transcript"} {
		resp, err := http.Get(p.api + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		api = append(api, string(b))
	}
	_, out := p.stop(syscall.SIGTERM)
	all := strings.Join(out, "\n") + p.stderr.String() + strings.Join(api, "\n")
	if !strings.Contains(all, "****") || !strings.Contains(all, "rejection") {
		t.Errorf("nothing masked, or no rejection reported:\n%s", all)
	}
	for _, secret := range []string{password, plain, pass, plain[:16]} {
		if strings.Contains(all, secret) {
			t.Errorf("output shows %q:\n%s", secret, all)
		}
	}
}

// TestHTTPServerTimeouts: a client that sends its request slowly, or
// never reads the answer, is cut off; a wait may take up to web.MaxWait.
func TestHTTPServerTimeouts(t *testing.T) {
	hs := newHTTPServer(http.NotFoundHandler())
	if hs.ReadHeaderTimeout <= 0 || hs.ReadTimeout <= 0 || hs.IdleTimeout <= 0 || hs.WriteTimeout <= web.MaxWait {
		t.Errorf("HTTP server timeouts: %+v", hs)
	}
}

// TestShutdownEndsUIStreams: an open web UI event stream does not hold
// up SIGTERM (with an hour to finish, it would hang the test), and ends.
func TestShutdownEndsUIStreams(t *testing.T) {
	p := start(t, "-http", "127.0.0.1:0", "-quiet", "-shutdown-timeout", "1h")
	resp, err := http.Get(p.api + "/api/ui/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || !strings.HasPrefix(first, "event: hello") {
		t.Fatalf("stream began %q, %v", first, err)
	}
	if code, _ := p.stop(syscall.SIGTERM); code != 0 {
		t.Errorf("exit %d", code)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Logf("the stream ended with %v", err) // cut off rather than closed: ended all the same
	}
}

// TestHealthcheck: -healthcheck URL exits 0 for a server that answers,
// 1 for one that does not, 2 for a bad URL or other flags beside it.
func TestHealthcheck(t *testing.T) {
	p := start(t, "-http", "127.0.0.1:0", "-quiet")
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"-healthcheck", p.api + "/livez"}, 0},
		{[]string{"-healthcheck=" + p.api + "/readyz"}, 0},
		{[]string{"--healthcheck", p.api + "/nope"}, 1},
		{[]string{"-healthcheck", "http://" + p.addr + "/livez"}, 1}, // the SMTP port: no HTTP there
		{[]string{"-healthcheck", "not a url"}, 2},
		{[]string{"-healthcheck", p.api + "/livez", "-quiet"}, 2},
	} {
		cmd := exec.Command(binary, c.args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		cmd.Run()
		if got := cmd.ProcessState.ExitCode(); got != c.code {
			t.Errorf("smtptest %q: exit %d; want %d (%s)", c.args, got, c.code, stderr.String())
		}
	}
}

// TestMailpitEnvironment: MP_SMTP_AUTH and MP_MAX_MESSAGES configure the
// server as they configure Mailpit (testcontainers-go's Mailpit module
// sets them); -max-messages given wins.
func TestMailpitEnvironment(t *testing.T) {
	for _, c := range []struct {
		args []string
		kept int
	}{{nil, 2}, {[]string{"-max-messages", "3"}, 3}} {
		cmd := exec.Command(binary, append([]string{"-addr", "127.0.0.1:0", "-http", "127.0.0.1:0", "-quiet"}, c.args...)...)
		cmd.Env = append(os.Environ(), "MP_SMTP_AUTH=app:secret ops:pw", "MP_MAX_MESSAGES=2")
		p := startCmd(t, cmd)
		sc, err := smtp.Dial(p.addr)
		if err != nil {
			t.Fatal(err)
		}
		if err := sc.Auth(smtp.PlainAuth("", "ops", "pw", "127.0.0.1")); err != nil {
			t.Errorf("AUTH as an MP_SMTP_AUTH account: %v", err)
		}
		for range 4 {
			if err := sendOn(sc, "app@example.com", []string{"ann@example.org"}, msg); err != nil {
				t.Fatal(err)
			}
		}
		sc.Quit()
		resp, err := http.Get(p.api + "/api/messages")
		if err != nil {
			t.Fatal(err)
		}
		var sums []struct{ ID int }
		json.NewDecoder(resp.Body).Decode(&sums)
		resp.Body.Close()
		if len(sums) != c.kept {
			t.Errorf("%q: %d messages kept; want %d", c.args, len(sums), c.kept)
		}
	}
	cmd := exec.Command(binary, "-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "MP_MAX_MESSAGES=many")
	if out, err := cmd.CombinedOutput(); cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), "MP_MAX_MESSAGES") {
		t.Errorf("MP_MAX_MESSAGES=many: %v %s", err, out)
	}
}

// externalAuth is SASL EXTERNAL for net/smtp: the identity is the TLS
// client certificate's.
type externalAuth struct{}

func (externalAuth) Start(*smtp.ServerInfo) (string, []byte, error) { return "EXTERNAL", nil, nil }
func (externalAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return []byte{}, nil // the empty response: the identity is the certificate's
	}
	return nil, nil
}

// TestClientCertOutFlag: -client-cert-out writes a certificate and key a
// client logs in with (AUTH EXTERNAL over STARTTLS); the JSON output says
// who and how.
func TestClientCertOutFlag(t *testing.T) {
	dir := t.TempDir()
	ca, cert, key := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	p := start(t, "-json", "-cert-out", ca, "-client-cert-out", "relay.example.com:"+cert+":"+key, "-require-auth")
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the key file: %v %v", fi.Mode(), err)
	}
	caPEM, _ := os.ReadFile(ca)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	c, err := smtp.Dial(p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(&tls.Config{RootCAs: roots, ServerName: "127.0.0.1", Certificates: []tls.Certificate{pair}}); err != nil {
		t.Fatal(err)
	}
	if ok, mechs := c.Extension("AUTH"); !ok || mechs != "EXTERNAL" {
		t.Errorf("AUTH %q", mechs)
	}
	if err := c.Auth(externalAuth{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("relay@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("ann@example.org"); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, msg)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	l := p.line()
	for !strings.Contains(l, `"auth_user"`) {
		l = p.line()
	}
	if !strings.Contains(l, `"auth_user":"relay.example.com"`) || !strings.Contains(l, `"auth_mech":"EXTERNAL"`) {
		t.Errorf("line %q", l)
	}
	for _, bad := range [][]string{{"-client-cert-out", "relay"}, {"-client-cert-out", "a::k.pem"}} {
		if code, stderr := runBad(t, bad...); code != 2 || !strings.Contains(stderr, "name:certfile:keyfile") {
			t.Errorf("%v: %d %s", bad, code, stderr)
		}
	}
}
