// Command worstcase sends cmd/smtptest one message built to be the worst
// case for every analysis it runs (lint, DKIM, the web UI's list entry,
// search text, cid: links, Links), and measures what the other clients
// see meanwhile: how long until they are greeted, and until the 250 to
// their own small message. A message must never stop the server for
// everyone (issue: one message must never stop the server).
//
//	go run ./worstcase                  # from bench/: default flags, a 30 MiB message
//	go run ./worstcase -http            # with -http, and the API's list and the UI's render of it
//	go run ./worstcase -size 8          # an 8 MiB message
//
// It builds the command, starts it on 127.0.0.1 with default flags (and
// -http 127.0.0.1:0 if asked), measures the probe clients alone for a
// while, then again while the big message is sent and judged, and prints
// both. Loops are bounded in count; everything goes to loopback; the
// child is stopped by its PID at the end.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/smtp"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/smtptest/smtptest/bench/internal/load"
)

func main() {
	size := flag.Int("size", 30, "the big message's size in MiB (the default -max-size is 32)")
	withHTTP := flag.Bool("http", false, "run with -http and read the big message through the API and the UI")
	prebuilt := flag.String("bin", "", "run this smtptest binary instead of building one (to compare with an older build)")
	quiet := flag.Bool("quiet", false, "run with -quiet: nothing judged for the output (what the rest costs)")
	probes := flag.Int("probes", 4, "clients that send small messages all along")
	rounds := flag.Int("rounds", 200, "messages each probe sends before the big one, to measure the usual time")
	flag.Parse()
	if err := run(*prebuilt, *size<<20, *withHTTP, *quiet, *probes, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "worstcase:", err)
		os.Exit(1)
	}
}

func run(prebuilt string, size int, withHTTP, quiet bool, probes, rounds int) error {
	args := []string{"-addr", "127.0.0.1:0"}
	if withHTTP {
		args = append(args, "-http", "127.0.0.1:0", "-json")
	}
	if quiet {
		args = append(args, "-quiet")
	}
	child, err := load.Start(prebuilt, args...)
	if err != nil {
		return err
	}
	defer child.Stop()
	ready, cmd := child.Ready, child.Cmd
	addr, api := readyAddrs(ready)
	big := worstMessage(size)
	fmt.Printf("smtptest pid %d on %s (flags %q); the big message: %.1f MiB\n", cmd.Process.Pid, addr, args, float64(len(big))/(1<<20))

	// The usual time: the probes alone.
	usual := probe(addr, probes, rounds, nil)

	// The same probes while the big message is sent and judged, until
	// its 250 (and, with -http, the API has listed and rendered it).
	stop := make(chan struct{})
	bigDone := make(chan string, 1)
	go func() {
		start := time.Now()
		err := smtp.SendMail(addr, nil, "bulk@example.com", []string{"ann@example.org"}, big)
		took := time.Since(start)
		if err == nil && api != "" {
			err = readThroughAPI(api)
		}
		bigDone <- fmt.Sprintf("the big message: sent and answered in %v, with the API reads %v (err %v)", took.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), err)
		close(stop)
	}()
	during := probe(addr, probes, 0, stop)
	fmt.Println(<-bigDone)
	fmt.Printf("\n%-34s %8s %8s %8s %8s %8s\n", "", "count", "p50", "p99", "max", "")
	usual.print("alone: greeting")
	during.print("during the big message: greeting")
	fmt.Println()
	usual.printReply("alone: 250 to a small message")
	during.printReply("during the big message: 250")
	return nil
}

// timings are what the probes measured.
type timings struct{ greet, reply []time.Duration }

func (t timings) print(what string)      { line(what, t.greet) }
func (t timings) printReply(what string) { line(what, t.reply) }

func line(what string, d []time.Duration) {
	if len(d) == 0 {
		fmt.Printf("%-34s %8d\n", what, 0)
		return
	}
	slices.Sort(d)
	at := func(q float64) time.Duration { return d[min(len(d)-1, int(q*float64(len(d))))] }
	fmt.Printf("%-34s %8d %8v %8v %8v\n", what, len(d), at(0.5).Round(10*time.Microsecond), at(0.99).Round(10*time.Microsecond), d[len(d)-1].Round(10*time.Microsecond))
}

// probe runs n clients, each sending small messages on new connections:
// rounds of them, or until stop is closed (then at least one more each).
func probe(addr string, n, rounds int, stop <-chan struct{}) timings {
	var mu sync.Mutex
	var all timings
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			for r := 0; ; r++ {
				if stop == nil && r >= rounds {
					return
				}
				if stop != nil {
					select {
					case <-stop:
						return
					default:
					}
				}
				g, rep, err := oneMessage(addr, i)
				if err != nil {
					fmt.Fprintln(os.Stderr, "probe:", err)
					return
				}
				mu.Lock()
				all.greet, all.reply = append(all.greet, g), append(all.reply, rep)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return all
}

// oneMessage connects, times the greeting, sends one small message and
// times its 250 (from the end of its data).
func oneMessage(addr string, i int) (greet, reply time.Duration, err error) {
	start := time.Now()
	nc, err := net.DialTimeout("tcp", addr, time.Minute)
	if err != nil {
		return 0, 0, err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Minute))
	r := bufio.NewReader(nc)
	if _, err := r.ReadString('\n'); err != nil {
		return 0, 0, err
	}
	greet = time.Since(start)
	fmt.Fprintf(nc, "EHLO probe%d.example\r\n", i)
	if err := readReply(r); err != nil {
		return 0, 0, err
	}
	fmt.Fprintf(nc, "MAIL FROM:<probe@example.com>\r\nRCPT TO:<p%d@example.org>\r\nDATA\r\n", i)
	for range 3 {
		if err := readReply(r); err != nil {
			return 0, 0, err
		}
	}
	sent := time.Now()
	fmt.Fprintf(nc, "Date: Fri, 04 Dec 2026 10:00:00 +0000\r\nFrom: probe@example.com\r\nTo: p%d@example.org\r\nSubject: probe\r\nMessage-ID: <%d.%d@example.com>\r\n\r\nhello\r\n.\r\nQUIT\r\n", i, i, start.UnixNano())
	if err := readReply(r); err != nil {
		return 0, 0, err
	}
	return greet, time.Since(sent), nil
}

// readReply reads one reply, multi-line too.
func readReply(r *bufio.Reader) error {
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if len(line) >= 4 && line[3] == ' ' {
			if line[0] != '2' && line[0] != '3' {
				return fmt.Errorf("reply %q", strings.TrimSpace(line))
			}
			return nil
		}
	}
}

// readThroughAPI lists the messages through the API and renders the
// newest in the UI's HTML view, as a person opening it would.
func readThroughAPI(api string) error {
	get := func(path string) ([]byte, error) {
		resp, err := http.Get("http://" + api + path)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		return io.ReadAll(resp.Body)
	}
	b, err := get("/api/v1/messages")
	if err != nil {
		return err
	}
	var list struct{ Messages []struct{ ID string } }
	if err := json.Unmarshal(b, &list); err != nil || len(list.Messages) == 0 {
		return fmt.Errorf("list: %v %.100s", err, b)
	}
	id := list.Messages[0].ID
	for _, p := range []string{"/api/ui/messages/" + id, "/api/ui/messages/" + id + "/render?remote=1", "/api/v1/message/" + id, "/api/v1/search?query=" + "needle"} {
		if _, err := get(p); err != nil {
			return err
		}
	}
	return nil
}

// readyAddrs reads the SMTP and HTTP addresses of the ready line.
func readyAddrs(ready string) (smtpAddr, httpAddr string) {
	var ev struct{ Addr, HTTP string }
	if json.Unmarshal([]byte(ready), &ev) == nil && ev.Addr != "" {
		httpAddr = strings.TrimSuffix(strings.TrimPrefix(ev.HTTP, "http://"), "/")
		if !strings.HasPrefix(httpAddr, "127.0.0.1:") {
			httpAddr = "" // only ever loopback
		}
		return ev.Addr, httpAddr
	}
	return strings.Fields(ready)[3], ""
}

// worstMessage builds a message of about size bytes in the shapes that
// were quadratic or unbounded: a header field folded into lines of four
// bytes (signed by a DKIM-Signature, so the verifier reads it), raw 8-bit
// fields and broken encoded-words (a problem each), an HTML part with a
// cid: reference to each of thousands of inline parts, a URL followed by
// closing brackets, bare LFs and over-long lines in the text.
func worstMessage(size int) []byte {
	var b strings.Builder
	b.Grow(size + 1<<20)
	b.WriteString("DKIM-Signature: v=1; a=rsa-sha256; c=simple/simple; d=example.com; s=s1;\r\n h=from:x-folded:subject; bh=AAAA; b=AAAA\r\n")
	b.WriteString("Date: Fri, 04 Dec 2026 10:00:00 +0000\r\nFrom: Bulk <bulk@example.com>\r\nTo: ann@example.org\r\nMessage-ID: <worst@example.com>\r\n")
	b.WriteString("Subject: " + strings.Repeat("=?utf-8?x?broken?= ", 1000) + "\r\n")
	b.WriteString("X-Folded: x\r\n")
	for b.Len() < size/4 {
		b.WriteString(" x\r\n")
	}
	for i := 0; b.Len() < size*3/8; i++ {
		fmt.Fprintf(&b, "X-Bad-%d: caf\xc3\xa9 =?utf-8?q?=ZZ?=\r\n", i)
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"b\"\r\n\r\n")
	const parts = 8000
	b.WriteString("--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>")
	for i := 0; i < parts; i++ {
		fmt.Fprintf(&b, "<img src=\"cid:img%d@example.com\">", i)
	}
	b.WriteString("<a href=\"https://example.com/needle\">x</a></p>\r\n")
	b.WriteString("--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee (https://example.com/a" + strings.Repeat(")", 400<<10) + "\r\n")
	for i := 0; i < 1000; i++ {
		b.WriteString("a bare line feed\n" + strings.Repeat("y", 1200) + "\r\n")
	}
	for i := 0; i < parts; i++ {
		fmt.Fprintf(&b, "--b\r\nContent-Type: image/png\r\nContent-ID: <img%d@example.com>\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!\r\n", i)
	}
	for b.Len() < size-1024 {
		b.WriteString("--b\r\nContent-Type: text/plain\r\n\r\n" + strings.Repeat("filler text line\r\n", 1000))
	}
	b.WriteString("--b--\r\n")
	return []byte(b.String())
}
