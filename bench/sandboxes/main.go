// Command sandboxes measures cmd/smtptest's sandboxes: how many can be
// made and deleted a second (one client, as a suite's setup and teardown
// would), the memory an idle sandbox costs, and the memory of N
// sandboxes holding one message each, beside one Mailpit process that
// holds N messages (-mailpit; "" skips it). Not run by CI; its numbers
// are in the README and the closing note of the sandboxes issue.
//
//	go run ./sandboxes                                 # from bench/
//	go run ./sandboxes -n 200 -mailpit $(go env GOPATH)/bin/mailpit
//
// Everything listens on 127.0.0.1; each server is stopped by its PID.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/smtptest/smtptest/bench/internal/load"
)

func main() {
	bin := flag.String("bin", "", "run this cmd/smtptest binary instead of building one")
	n := flag.Int("n", 200, "sandboxes held at once")
	cycles := flag.Int("cycles", 1000, "sandboxes made and deleted, one after the other")
	mailpit := flag.String("mailpit", "", "the mailpit binary, to compare with one Mailpit process holding -n messages")
	flag.Parse()

	child, err := load.Start(*bin, "-addr", "127.0.0.1:0", "-http", "127.0.0.1:0", "-quiet", "-max-sandboxes", strconv.Itoa(*n+1))
	if err != nil {
		log.Fatal(err)
	}
	defer child.Stop()
	api := apiOf(child.Ready)
	pid := child.Cmd.Process.Pid

	// Made and deleted, one after the other.
	begin := time.Now()
	for range *cycles {
		sb := create(api)
		del(api, sb.ID)
	}
	elapsed := time.Since(begin)
	fmt.Printf("%d sandboxes made and deleted in %v: %.0f a second (%.2f ms each, both requests)\n",
		*cycles, elapsed.Round(time.Millisecond), float64(*cycles)/elapsed.Seconds(), float64(elapsed.Microseconds())/float64(*cycles)/1000)

	// Held at once, idle, then with one message each.
	before := rss(pid)
	var all []sandbox
	for range *n {
		all = append(all, create(api))
	}
	idle := rss(pid)
	msg := []byte("From: app@example.com\r\nTo: ann@example.org\r\nSubject: One\r\nDate: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n\r\n" +
		strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n", 15))
	for _, sb := range all {
		if err := smtp.SendMail(sb.SMTP, nil, "app@example.com", []string{"ann@example.org"}, msg); err != nil {
			log.Fatal(err)
		}
		if resp, err := http.Get(sb.BaseURL + "/api/v1/messages"); err != nil || resp.StatusCode != 200 {
			log.Fatalf("%s: %v %v", sb.BaseURL, resp, err)
		} else {
			resp.Body.Close()
		}
	}
	full := rss(pid)
	fmt.Printf("RSS: %.1f MB with no sandbox, %.1f MB with %d idle (%.1f KB each), %.1f MB with one message (1 KiB) in each, listed once\n",
		mb(before), mb(idle), *n, float64(idle-before)/float64(*n), mb(full))

	if *mailpit != "" {
		fmt.Printf("Mailpit v1.33.1, one process: %.1f MB RSS idle, %.1f MB with %d messages (1 KiB), listed once\n",
			mb(mailpitRSS(*mailpit, 0, msg)), mb(mailpitRSS(*mailpit, *n, msg)), *n)
	}
}

type sandbox struct {
	ID      string
	SMTP    string
	BaseURL string `json:"base_url"`
}

func create(api string) sandbox {
	resp, err := http.Post(api+"/api/sandboxes", "application/json", strings.NewReader(`{"ttl": "10m"}`))
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var sb sandbox
	if err := json.NewDecoder(resp.Body).Decode(&sb); err != nil || resp.StatusCode != http.StatusCreated {
		log.Fatalf("POST /api/sandboxes: %d %v", resp.StatusCode, err)
	}
	return sb
}

func del(api, id string) {
	req, _ := http.NewRequest("DELETE", api+"/api/sandboxes/"+id, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		log.Fatalf("DELETE %s: %v %v", id, resp, err)
	}
	resp.Body.Close()
}

// apiOf reads the HTTP address from the ready line.
func apiOf(ready string) string {
	i := strings.Index(ready, "HTTP API on ")
	if i < 0 {
		log.Fatalf("ready line %q", ready)
	}
	return strings.Fields(ready[i+len("HTTP API on "):])[0]
}

// rss is the resident set of pid in KiB.
func rss(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		log.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}

func mb(kib int) float64 { return float64(kib) / 1024 }

// mailpitRSS starts Mailpit, sends it n messages, lists them once, and
// returns its resident set.
func mailpitRSS(bin string, n int, msg []byte) int {
	dir, err := os.MkdirTemp("", "sandboxes-mailpit")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	smtpPort, httpPort := freePort(), freePort()
	cmd := exec.Command(bin, "--smtp", fmt.Sprintf("127.0.0.1:%d", smtpPort), "--listen", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--disable-version-check", "--database", filepath.Join(dir, "mailpit.db"), "--quiet")
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	addr := fmt.Sprintf("127.0.0.1:%d", smtpPort)
	api := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if resp, err := http.Get(api + "/livez"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			log.Fatal("mailpit did not come up")
		}
		time.Sleep(50 * time.Millisecond) // a process starting: nothing to wait on but its port
	}
	for range n {
		if err := smtp.SendMail(addr, nil, "app@example.com", []string{"ann@example.org"}, msg); err != nil {
			log.Fatal(err)
		}
	}
	if resp, err := http.Get(api + "/api/v1/messages"); err == nil {
		resp.Body.Close()
	}
	return rss(cmd.Process.Pid)
}

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
