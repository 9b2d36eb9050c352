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
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/smtp"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/smtptest/smtptest/bench/internal/load"
)

func main() {
	messages := flag.Int("messages", 100000, "messages to send")
	conns := flag.Int("conns", 20000, "connections to open and close after the messages")
	keep := flag.Int("max-messages", 1000, "the -max-messages of the server")
	size := flag.Int("message-bytes", 0, "the size of each message (0: about 1 KiB); text, so its search text is as large")
	storeBytes := flag.Int64("max-store-bytes", 0, "the -max-store-bytes of the server (0: its default)")
	prebuilt := flag.String("bin", "", "run this smtptest binary instead of building one (to compare with an older build)")
	withHTTP := flag.Bool("http", false, "run with -http, list the messages through the API after each tenth (which makes their list entries), and DELETE /api/messages at the end")
	flag.Parse()
	if err := run(*prebuilt, *messages, *conns, *keep, *size, *storeBytes, *withHTTP); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func run(prebuilt string, messages, conns, keep, size int, storeBytes int64, withHTTP bool) error {
	args := []string{"-addr", "127.0.0.1:0", "-quiet", "-max-messages", fmt.Sprint(keep)}
	if storeBytes > 0 {
		args = append(args, "-max-store-bytes", fmt.Sprint(storeBytes))
	}
	if withHTTP {
		args = append(args, "-http", "127.0.0.1:0")
	}
	child, err := load.Start(prebuilt, args...)
	if err != nil {
		return err
	}
	defer child.Stop()
	ready, cmd := child.Ready, child.Cmd
	addr := strings.Fields(ready)[3]
	api := ""
	if withHTTP {
		if i := strings.Index(ready, "http://127.0.0.1:"); i >= 0 { // only ever loopback
			api = strings.TrimRight(strings.Fields(ready[i:])[0], "/,")
		}
		if api == "" {
			return fmt.Errorf("no HTTP address in the ready line %q", ready)
		}
	}
	pid := cmd.Process.Pid

	fmt.Printf("smtptest pid %d on %s %s, %q\n", pid, addr, api, args)
	fmt.Printf("%-28s %10s\n", "after", "VmRSS")
	sample := func(what string) {
		fmt.Printf("%-28s %10s\n", what, rss(pid))
	}
	sample("start")

	// Messages over 4 sessions that last the whole phase (so that what
	// grows is the record, not the number of transcripts), in tenths.
	const sessions = 4
	lines := 30
	if size > 0 {
		lines = size / len("a line of a small message\r\n")
	}
	body := "Subject: soak\r\nFrom: app@example.com\r\nTo: ann@example.org\r\n\r\n" + strings.Repeat("a line of a small message\r\n", lines)
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
		if api != "" {
			if err := httpDo("GET", api+"/api/v1/messages?limit=0"); err != nil {
				return err
			}
		}
		sample(fmt.Sprintf("%d messages", tenth*per*sessions))
	}
	if api != "" {
		if err := httpDo("DELETE", api+"/api/messages"); err != nil {
			return err
		}
		sample("DELETE /api/messages")
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

// httpDo makes one request of the API and reads the answer.
func httpDo(method, url string) error {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s", method, url, resp.Status)
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
