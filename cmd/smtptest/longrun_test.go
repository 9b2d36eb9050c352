package main

import (
	"bufio"
	"bytes"
	"context"
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
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/internal/jsonview"
)

// TestUnreadOutputNeverFreezesTheServer runs smtptest the way harnesses in
// other languages do: standard output and error are pipes, and nobody reads
// past the ready line. Every message still gets its 250, and SIGINT still
// stops the server, with exit status 0.
func TestUnreadOutputNeverFreezesTheServer(t *testing.T) {
	for _, mode := range []string{"text", "-json"} {
		t.Run(mode, func(t *testing.T) {
			args := []string{"-addr", "127.0.0.1:0", "-shutdown-timeout", "2s"}
			if mode == "-json" {
				args = append(args, "-json")
			}
			cmd := exec.Command(binary, args...)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			stderrR, stderrW, err := os.Pipe() // never read either
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = stderrW
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			stderrW.Close()
			defer stderrR.Close()
			defer func() {
				if cmd.ProcessState == nil {
					cmd.Process.Kill()
					cmd.Wait()
				}
			}()
			ready, err := bufio.NewReader(stdout).ReadString('\n') // and nothing more, ever
			if err != nil {
				t.Fatal(err)
			}
			addr := readyAddr(t, ready)

			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			nc.SetDeadline(time.Now().Add(3 * bound)) // a frozen server fails the test
			c, err := smtp.NewClient(nc, "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			const n = 5000
			for i := range n {
				body := fmt.Sprintf("Subject: message %d of a run whose output nobody reads\r\n\r\nbody\r\n", i)
				if err := sendOn(c, "app@example.com", []string{"ann@example.org"}, body); err != nil {
					t.Fatalf("message %d: %v (the server froze?)", i+1, err)
				}
			}
			if err := c.Quit(); err != nil {
				t.Fatal(err)
			}
			cmd.Process.Signal(syscall.SIGINT)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("exit: %v, want status 0", err)
				}
			case <-time.After(bound):
				t.Fatal("SIGINT did not stop the server")
			}
		})
	}
}

// readyAddr returns the SMTP address of a ready line, text or JSON.
func readyAddr(t *testing.T, ready string) string {
	t.Helper()
	if i := strings.Index(ready, `"addr":"`); i >= 0 {
		rest := ready[i+len(`"addr":"`):]
		return rest[:strings.IndexByte(rest, '"')]
	}
	f := strings.Fields(ready)
	if len(f) < 4 {
		t.Fatalf("ready line %q", ready)
	}
	return f[3]
}

// TestOutputDroppedIsReported: lines dropped while the output was not read
// are counted once it is read again, and in the summary.
func TestOutputDroppedIsReported(t *testing.T) {
	q := newLineQueue(io.Discard)
	q.close(within(t, bound))
	var out bytes.Buffer
	block, writing := make(chan struct{}), make(chan struct{}, 1)
	q = newLineQueue(writerFunc(func(b []byte) (int, error) {
		select {
		case writing <- struct{}{}:
		default:
		}
		<-block
		return out.Write(b)
	}))
	// The first line is being written (and the writer stuck) before the
	// others come: they fill the queue, and the last 100 are dropped.
	q.put("line 0\n")
	<-writing
	for i := 1; i < queueLines+101; i++ {
		q.put(fmt.Sprintf("line %d\n", i))
	}
	close(block)
	q.close(within(t, bound))
	if lost := q.droppedLines(); lost < 99 || !strings.Contains(out.String(), fmt.Sprintf("smtptest: %d line(s) of output dropped", lost)) {
		t.Errorf("dropped %d; output ends %q", lost, out.String()[max(0, out.Len()-200):])
	}
}

// within is a context that ends after d, or with the test.
func within(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestPrinterCloseSharesOneWait: with neither output read, close waits
// once for both (one deadline, not one each: SIGINT took 4 s where 2
// were meant), and a second close returns at once.
func TestPrinterCloseSharesOneWait(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	stuck := writerFunc(func(b []byte) (int, error) { <-block; return len(b), nil })
	p := newPrinter(stuck, stuck, &config{})
	p.out.put("a line nobody reads\n")
	p.errOut.put("another\n")
	ctx, cancel := context.WithCancel(context.Background())
	closed := make(chan struct{})
	go func() { p.closeWithin(ctx); close(closed) }()
	cancel() // the one deadline passes: both outputs are given up at once
	<-closed
	p.close(time.Hour) // at once: closed already
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// TestMboxSurvivesAFullDiskAndRotation: a write that fails part way (the
// file size limit, as a full disk) leaves no partial record behind, so the
// next message is a record of its own; a rotated mbox is created anew;
// bytes are kept exact.
func TestMboxSurvivesAFullDiskAndRotation(t *testing.T) {
	dir := t.TempDir()
	mbox := filepath.Join(dir, "all.mbox")
	// ulimit -f counts 1024-byte blocks: the mbox may not pass 8 KiB.
	addr := startCmd(t, exec.Command("bash", "-c", `ulimit -f 8 && exec "$0" "$@"`, binary, "-addr", "127.0.0.1:0", "-mbox", mbox, "-json")).addr

	send := func(body string) error {
		return smtp.SendMail(addr, nil, "app@example.com", []string{"ann@example.org"}, []byte(body))
	}
	big := "Subject: big\r\n\r\n" + strings.Repeat("y", 3000) + "\r\n"
	var refused bool
	var sizeBefore int64
	for i := range 5 {
		st, _ := os.Stat(mbox)
		err := send(big)
		if err != nil {
			if !strings.Contains(err.Error(), "451") {
				t.Fatalf("message %d: %v, want 451", i+1, err)
			}
			refused = true
			sizeBefore = st.Size()
			break
		}
	}
	if !refused {
		t.Fatal("the file size limit never refused a message")
	}
	if st, _ := os.Stat(mbox); st.Size() != sizeBefore {
		t.Errorf("the refused message left %d bytes behind", st.Size()-sizeBefore)
	}
	// A small one still fits: it must be a record of its own.
	// Sent by hand: net/smtp's writer would turn CR CR LF into CR CR CR LF.
	small := "Subject: small\r\n\r\nbare CR kept: x\r\r\nFrom the start of a line\r\n"
	rawSend(t, addr, small)
	b, _ := os.ReadFile(mbox)
	records := strings.Split(string(b), "\nFrom app@example.com ")
	last := records[len(records)-1]
	if _, msg, ok := strings.Cut(last, "\n"); !ok || strings.ReplaceAll(strings.TrimSuffix(msg, "\n"), "\n", "\r\n") != strings.ReplaceAll(small, "\nFrom the", "\n>From the") {
		t.Errorf("the last record is not the small message, byte for byte:\n%q", last)
	}

	// Rotation: the file is moved away; the next message makes a new one.
	if err := os.Rename(mbox, mbox+".1"); err != nil {
		t.Fatal(err)
	}
	if err := send("Subject: after rotation\r\n\r\nhi\r\n"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(mbox); err != nil || !strings.Contains(string(b), "Subject: after rotation") {
		t.Errorf("after rotation, the mbox holds %q, %v", b, err)
	}
}

func TestMboxRecordIsExact(t *testing.T) {
	for data, want := range map[string]string{
		"a\r\nb\r\n":          "a\nb\n",
		"x\r\r\n":             "x\r\n",
		"no final newline":    "no final newline\n",
		"ends in CR\r":        "ends in CR\r\n",
		"From x\r\n>From y\n": ">From x\n>>From y\n",
	} {
		rec := string(mboxRecord(&smtptest.Message{Data: []byte(data)}))
		if _, body, _ := strings.Cut(rec, "\n"); body != want+"\n" {
			t.Errorf("%q: record body %q, want %q", data, body, want+"\n")
		}
	}
}

// TestShutdownIsNotHeldByIdleClients: a client that sent half a command
// line is not a message in flight.
func TestShutdownIsNotHeldByIdleClients(t *testing.T) {
	p := start(t, "-shutdown-timeout", "30s")
	nc, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	r := bufio.NewReader(nc)
	r.ReadString('\n')
	io.WriteString(nc, "EHL") // and nothing more
	code, rest := p.stop(syscall.SIGINT)
	if code != 0 || strings.Contains(p.stderr.String(), "cut off") {
		t.Errorf("exit %d, stderr %q, output %q", code, p.stderr, rest)
	}
	nc.SetReadDeadline(time.Now().Add(bound))
	if line, _ := r.ReadString('\n'); !strings.HasPrefix(line, "421 4.3.2") {
		t.Errorf("the idle client got %q, want 421 4.3.2", line)
	}
}

func TestUsersFromFileAndEnvironment(t *testing.T) {
	file := filepath.Join(t.TempDir(), "users")
	os.WriteFile(file, []byte("# accounts\nfile:pa ss:word\n\n"), 0o600)
	cmd := exec.Command(binary, "-addr", "127.0.0.1:0", "-user-file", file)
	cmd.Env = append(os.Environ(), "SMTPTEST_USERS=env:s3cret other:x")
	addr := startCmd(t, cmd).addr
	for user, pass := range map[string]string{"file": "pa ss:word", "env": "s3cret"} {
		c, err := smtp.Dial(addr)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Auth(plainAuth{user, pass}); err != nil {
			t.Errorf("AUTH as %s: %v", user, err)
		}
		c.Quit()
	}
	if strings.Contains(strings.Join(cmd.Args, " "), "s3cret") {
		t.Error("the password is on the command line")
	}
}

// plainAuth is net/smtp's PLAIN without its TLS check (the server is on
// loopback and allows AUTH over plain text).
type plainAuth struct{ user, pass string }

func (a plainAuth) Start(*smtp.ServerInfo) (string, []byte, error) {
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}
func (a plainAuth) Next([]byte, bool) ([]byte, error) { return nil, nil }

// TestAcceptErrorsArePrinted runs smtptest with few file descriptors: once
// they are used up, accepting fails (EMFILE); the error is printed, and the
// server serves again once clients leave.
func TestAcceptErrorsArePrinted(t *testing.T) {
	cmd := exec.Command("bash", "-c", `ulimit -n 24 && exec "$0" "$@"`, binary, "-addr", "127.0.0.1:0")
	errOut, _ := cmd.StderrPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	sc := bufio.NewScanner(out)
	sc.Scan()
	addr := readyAddr(t, sc.Text())
	go io.Copy(io.Discard, out)
	printed := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(errOut)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "too many open files") {
				printed <- sc.Text()
				break
			}
		}
		io.Copy(io.Discard, errOut)
	}()
	// More clients than descriptors: those past the limit wait in the
	// listen queue, and accepting them fails.
	var conns []net.Conn
	for range 40 {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		conns = append(conns, nc)
	}
	select {
	case line := <-printed:
		if !strings.HasPrefix(line, "smtptest: error: smtptest: accept:") || !strings.Contains(line, "retrying") {
			t.Errorf("printed %q", line)
		}
	case <-time.After(bound):
		t.Fatal("no accept error printed")
	}
	for _, nc := range conns {
		nc.Close()
	}
	if err := smtp.SendMail(addr, nil, "a@example.com", []string{"b@example.org"}, []byte("Subject: x\r\n\r\nx\r\n")); err != nil {
		t.Errorf("after the clients left: %v", err)
	}
}

// rawSend sends data (which needs no dot-stuffing) as one message, with
// nothing changed on the way, and requires 250.
func rawSend(t *testing.T, addr, data string) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(bound))
	io.WriteString(nc, "EHLO x\r\nMAIL FROM:<app@example.com>\r\nRCPT TO:<ann@example.org>\r\nDATA\r\n")
	r := bufio.NewReader(nc)
	for codes := 0; codes < 5; { // greeting, EHLO, MAIL, RCPT, 354
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if len(line) > 3 && line[3] == ' ' {
			codes++
		}
	}
	io.WriteString(nc, data+".\r\nQUIT\r\n")
	if line, _ := r.ReadString('\n'); !strings.HasPrefix(line, "250 ") {
		t.Fatalf("end of data: %q", line)
	}
}

// TestWarnsWhenNotOnLoopback: an address other machines may reach gets a
// warning, for -addr and -http alike. (Checked on the addresses alone:
// tests never listen beyond loopback.)
func TestWarnsWhenNotOnLoopback(t *testing.T) {
	for addr, warn := range map[string]bool{
		"0.0.0.0:2525": true, "[::]:8025": true, "192.0.2.1:25": true,
		"127.0.0.1:2525": false, "[::1]:8025": false, "127.0.0.2:25": false,
	} {
		var errOut syncBuffer
		p := newPrinter(io.Discard, &errOut, &config{})
		warnIfReachable(p, "-http", addr)
		p.close(bound)
		if got := strings.Contains(errOut.String(), "smtptest: warning: -http "+addr+" is not a loopback address"); got != warn {
			t.Errorf("%s: warned %v, want %v (%q)", addr, got, warn, errOut.String())
		}
	}
}

// TestLintInOutputAndAPI: the message line counts lint problems, the JSON
// event and the API list them, and -reject-malformed refuses.
func TestLintInOutputAndAPI(t *testing.T) {
	p := start(t, "-json", "-http", "127.0.0.1:0")
	if err := p.send("app@example.com", []string{"ann@example.org"}, msg); err != nil { // msg has no Date
		t.Fatal(err)
	}
	var ev struct {
		Event    string
		Problems []jsonview.Problem
	}
	for ev.Event != "message" {
		if err := json.Unmarshal([]byte(p.line()), &ev); err != nil {
			t.Fatal(err)
		}
	}
	if len(ev.Problems) == 0 || ev.Problems[0].Rule != "header/date-missing" || ev.Problems[0].Severity != "error" {
		t.Errorf("message event problems %+v", ev.Problems)
	}
	resp, err := http.Get(p.api + "/api/messages/1")
	if err != nil {
		t.Fatal(err)
	}
	var d struct{ Problems []jsonview.Problem }
	json.NewDecoder(resp.Body).Decode(&d)
	resp.Body.Close()
	if len(d.Problems) == 0 || d.Problems[0].Rule != "header/date-missing" {
		t.Errorf("API problems %+v", d.Problems)
	}
	p.stop(syscall.SIGTERM)

	q := start(t, "-reject-malformed")
	var tp *textproto.Error
	if err := q.send("app@example.com", []string{"ann@example.org"}, msg); !errors.As(err, &tp) || tp.Code != 550 || !strings.Contains(tp.Msg, "no Date field (RFC 5322 3.6)") {
		t.Errorf("-reject-malformed: %v", err)
	}
	complete := "Date: Tue, 01 Dec 2026 20:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n" + msg
	if err := q.send("app@example.com", []string{"ann@example.org"}, complete); err != nil {
		t.Errorf("a complete message: %v", err)
	}
	if l := q.line(); !strings.Contains(l, "refused") || !strings.Contains(l, "550 5.7.1") {
		t.Errorf("line %q", l)
	}
	if l := q.line(); !strings.Contains(l, "message 2:") || strings.Contains(l, "lint problem") {
		t.Errorf("line %q", l)
	}
	q.stop(syscall.SIGTERM)
}
