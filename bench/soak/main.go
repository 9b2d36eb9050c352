// Command soak runs cmd/smtptest the way a long CI run or a developer's
// day does, and prints its resident memory as it goes: memory must stay
// flat once retention has filled (issue: bounded memory on a long run).
//
//	go run ./soak                       # from bench/: 100,000 messages, 20,000 connections
//	go run ./soak -messages 20000 -conns 5000
//
// It builds the command, starts it on 127.0.0.1 with -max-messages 1000
// (and the default transcript and rejection limits), sends the messages
// over a few long sessions, then opens and closes the connections (each
// with one refused command, so rejections and transcripts pile up too),
// and samples VmRSS from /proc after each tenth of the work. Loops are
// bounded in count; everything goes to loopback; the child is stopped by
// its PID at the end.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/smtptest/smtptest/bench/internal/load"
)

func main() {
	messages := flag.Int("messages", 100000, "messages to send")
	conns := flag.Int("conns", 20000, "connections to open and close after the messages")
	keep := flag.Int("max-messages", 1000, "the -max-messages of the server")
	flag.Parse()
	if err := run(*messages, *conns, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func run(messages, conns, keep int) error {
	dir, err := os.MkdirTemp("", "soak")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "smtptest")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/smtptest/smtptest/cmd/smtptest").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-quiet", "-max-messages", fmt.Sprint(keep))
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	ready, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return err
	}
	go io.Copy(io.Discard, out)
	addr := strings.Fields(ready)[3]
	pid := cmd.Process.Pid

	fmt.Printf("smtptest pid %d on %s, -max-messages %d\n", pid, addr, keep)
	fmt.Printf("%-28s %10s\n", "after", "VmRSS")
	sample := func(what string) {
		fmt.Printf("%-28s %10s\n", what, rss(pid))
	}
	sample("start")

	// Messages over 4 sessions that last the whole phase (so that what
	// grows is the record, not the number of transcripts), in tenths.
	const sessions = 4
	body := "Subject: soak\r\nFrom: app@example.com\r\nTo: ann@example.org\r\n\r\n" + strings.Repeat("a line of a small message\r\n", 30)
	clients := make([]*smtp.Client, sessions)
	for i := range clients {
		nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			return err
		}
		nc.SetDeadline(time.Now().Add(30 * time.Minute))
		if clients[i], err = smtp.NewClient(nc, "127.0.0.1"); err != nil {
			return err
		}
	}
	for tenth := 1; tenth <= 10; tenth++ {
		per := messages / 10 / sessions
		var wg sync.WaitGroup
		errs := make(chan error, sessions)
		for _, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- load.Send(c, per, []byte(body))
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				return err
			}
		}
		sample(fmt.Sprintf("%d messages", tenth*per*sessions))
	}
	for _, c := range clients {
		if err := c.Quit(); err != nil {
			return err
		}
	}
	// Connections, each refused once (a rejection) and closed (a
	// transcript), in tenths.
	for tenth := 1; tenth <= 10; tenth++ {
		for range conns / 10 {
			if err := connectOnce(addr); err != nil {
				return err
			}
		}
		sample(fmt.Sprintf("+%d connections", tenth*(conns/10)))
	}
	return nil
}

// connectOnce opens a session with one refused command and QUIT.
func connectOnce(addr string) error {
	nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(time.Minute))
	fmt.Fprintf(nc, "EHLO soak.example\r\nRCPT TO:<%s@example.org>\r\nQUIT\r\n", strings.Repeat("r", 2000))
	_, err = io.Copy(io.Discard, nc) // until the server closes after QUIT
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetLinger(0) // no TIME_WAIT pile-up from 20,000 connections
	}
	return err
}

// rss reads the resident set size of pid.
func rss(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}
