// Command vsmailpit measures cmd/smtptest and Mailpit under the same load,
// one after the other on this machine: SMTP throughput (messages a second,
// with S sessions each sending its share on one connection) and the
// CPU time each server spent a message (user and system, from /proc), the
// resident memory of each server (peak and at the end), then the time to
// list the messages through each one's API (Mailpit's v1, which smtptest
// answers too). Not run by CI; its table is in the README and the closing
// note of the Mailpit issue.
//
//	go install github.com/axllent/mailpit@v1.33.1
//	go build -o /tmp/smtptest ../../cmd/smtptest
//	go run . -smtptest /tmp/smtptest -mailpit $(go env GOPATH)/bin/mailpit
//
// Both listen on 127.0.0.1 only; Mailpit runs with --disable-version-check
// (it asks GitHub for its latest release otherwise) and a database in a
// temporary directory. Each server is stopped by its PID. -ui-stream keeps
// cmd/smtptest's web UI event stream open during the load, as a page left
// open does (Mailpit's is a websocket: not compared).
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/smtptest/smtptest/bench/internal/load"
)

func main() {
	smtptestBin := flag.String("smtptest", "", "the cmd/smtptest binary")
	mailpitBin := flag.String("mailpit", "", `the mailpit binary ("none": measure cmd/smtptest alone)`)
	messages := flag.Int("n", 20000, "messages a run")
	sessions := flag.Int("sessions", 8, "concurrent SMTP sessions")
	size := flag.Int("size", 1024, "bytes a message")
	runs := flag.Int("runs", 3, "runs of each server (the median is shown)")
	extra := flag.String("smtptest-args", "-quiet", "cmd/smtptest's flags beyond -addr, -http and -max-messages (space-separated)")
	uiStream := flag.Bool("ui-stream", false, "keep cmd/smtptest's web UI event stream open during the load, as an open page does")
	flag.Parse()
	if *smtptestBin == "" || *mailpitBin == "" {
		log.Fatal("give -smtptest and -mailpit")
	}
	fmt.Printf("%d messages of %d bytes over %d sessions, %d runs each (median)\n\n", *messages, *size, *sessions, *runs)
	fmt.Println("| server | messages/s | server CPU a message | peak RSS | RSS after | list 50 (API v1) |")
	fmt.Println("| --- | --- | --- | --- | --- | --- |")
	smtptest := smtptestServer(*smtptestBin, strings.Fields(*extra))
	if *uiStream {
		smtptest.name += " (web UI open)"
		smtptest.stream = "/api/ui/stream"
	}
	servers := []server{smtptest, mailpitServer(*mailpitBin)}
	if *mailpitBin == "none" {
		servers = servers[:1]
	}
	for _, s := range servers {
		var rs []result
		for range *runs {
			rs = append(rs, measure(s, *messages, *sessions, *size))
		}
		slices.SortFunc(rs, func(a, b result) int { return int(a.rate - b.rate) })
		r := rs[len(rs)/2]
		fmt.Printf("| %s | %.0f | %.1f µs | %.1f MB | %.1f MB | %v |\n", s.name, r.rate, float64(r.cpu.Nanoseconds())/float64(*messages)/1e3, float64(r.peakKB)/1024, float64(r.rssKB)/1024, r.list.Round(10*time.Microsecond))
	}
}

type server struct {
	name   string
	start  func(dir string, smtpPort, httpPort int) *exec.Cmd
	stream string // a path to keep open and read during the load, as an open web UI does; "" for none
}

func smtptestServer(bin string, extra []string) server {
	name := "cmd/smtptest " + strings.Join(extra, " ")
	return server{name: name, start: func(dir string, smtpPort, httpPort int) *exec.Cmd {
		args := append([]string{"-addr", fmt.Sprintf("127.0.0.1:%d", smtpPort), "-http", fmt.Sprintf("127.0.0.1:%d", httpPort), "-max-messages", "500"}, extra...)
		return exec.Command(bin, args...)
	}}
}

func mailpitServer(bin string) server {
	return server{name: "Mailpit v1.33.1", start: func(dir string, smtpPort, httpPort int) *exec.Cmd {
		return exec.Command(bin, "--smtp", fmt.Sprintf("127.0.0.1:%d", smtpPort), "--listen", fmt.Sprintf("127.0.0.1:%d", httpPort),
			"--disable-version-check", "--database", filepath.Join(dir, "mailpit.db"), "--max", "500", "--quiet",
			"--smtp-auth-accept-any", "--smtp-auth-allow-insecure")
	}}
}

type result struct {
	rate          float64
	cpu           time.Duration // the server's user and system time during the load
	peakKB, rssKB int
	list          time.Duration
}

func measure(s server, n, sessions, size int) result {
	dir, err := os.MkdirTemp("", "vsmailpit")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	smtpPort, httpPort := freePort(), freePort()
	cmd := s.start(dir, smtpPort, httpPort)
	cmd.Stdout, cmd.Stderr = nil, os.Stderr // nil: the null device itself, not a pipe this process must drain
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}()
	addr := fmt.Sprintf("127.0.0.1:%d", smtpPort)
	api := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	waitUp(addr, api)
	if s.stream != "" {
		stop := follow(api + s.stream)
		defer stop()
	}

	body := message(size)
	cpu0 := cpuTime(cmd.Process.Pid)
	var wg sync.WaitGroup
	errs := make(chan error, sessions)
	begin := time.Now()
	for i := range sessions {
		share := n / sessions
		if i < n%sessions {
			share++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := sendMany(addr, body, share); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	cpu := cpuTime(cmd.Process.Pid) - cpu0
	close(errs)
	for err := range errs {
		log.Fatalf("%s: %v", s.name, err)
	}
	peak, rss := memory(cmd.Process.Pid)

	// The list of the newest 50, as a client's first call.
	var list time.Duration
	for range 5 {
		t0 := time.Now()
		resp, err := http.Get(api + "/api/v1/messages?limit=50")
		if err != nil {
			log.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(b, []byte(`"messages"`)) {
			log.Fatalf("%s: list: %d %.200s", s.name, resp.StatusCode, b)
		}
		if d := time.Since(t0); list == 0 || d < list {
			list = d
		}
	}
	return result{rate: float64(n) / elapsed.Seconds(), cpu: cpu, peakKB: peak, rssKB: rss, list: list}
}

// follow reads url's event stream until stop is called, as a web page
// that stays open does.
func follow(url string) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		log.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		log.Fatalf("%s: %v %v", url, err, resp)
	}
	done := make(chan struct{})
	go func() {
		io.Copy(io.Discard, resp.Body)
		close(done)
	}()
	return func() {
		cancel()
		<-done
		resp.Body.Close()
	}
}

// sendMany sends n messages on one SMTP connection.
func sendMany(addr string, body []byte, n int) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := load.Send(c, n, body); err != nil {
		return err
	}
	return c.Quit()
}

// message is a plain message of size bytes.
func message(size int) []byte {
	var b bytes.Buffer
	b.WriteString("From: App <app@example.com>\r\nTo: ann@example.org\r\nSubject: Load\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: <load@example.com>\r\n\r\n")
	for b.Len() < size-2 {
		b.WriteString("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n")
	}
	out := b.Bytes()[:size-2]
	return append(out, "\r\n"...)
}

// memory returns the peak and current resident set of pid, in KiB.
func memory(pid int) (peak, rss int) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		switch k {
		case "VmHWM":
			peak = n
		case "VmRSS":
			rss = n
		}
	}
	return peak, rss
}

// cpuTime is the user and system time pid has used so far, from
// /proc/PID/stat (in clock ticks, 100 a second on Linux).
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses and may hold spaces.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	return time.Duration(utime+stime) * (time.Second / 100)
}

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitUp waits until both ports answer.
func waitUp(addr, api string) {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			if resp, err := http.Get(api + "/livez"); err == nil {
				resp.Body.Close()
				return
			}
		}
		time.Sleep(50 * time.Millisecond) // a process starting up: nothing to wait on but its port
	}
	log.Fatalf("%s did not come up", addr)
}
