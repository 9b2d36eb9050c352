package main

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/smtptest/smtptest"
)

// printer writes what happens, as lines for people or JSON objects for
// scripts. The server calls event one event at a time; the other methods
// may run on other goroutines, so mu serializes all writes.
type printer struct {
	mu                     sync.Mutex
	out, errOut            io.Writer
	json, quiet, printData bool
	seq                    int    // messages printed so far
	files                  *store // where messages were saved, if anywhere
}

func newPrinter(out, errOut io.Writer, c *config) *printer {
	return &printer{out: out, errOut: errOut, json: c.json, quiet: c.quiet, printData: c.printData}
}

const timeFormat = "2006-01-02T15:04:05.000Z07:00"

// emit writes one JSON object, or a line of text.
func (p *printer) emit(obj any, line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		b, _ := json.Marshal(obj)
		fmt.Fprintf(p.out, "%s\n", b)
		return
	}
	fmt.Fprintln(p.out, line)
}

type readyEvent struct {
	Event   string `json:"event"`
	Addr    string `json:"addr"`
	TLS     string `json:"tls,omitempty"`
	Auth    bool   `json:"auth"`
	HTTP    string `json:"http,omitempty"`
	Seed    uint64 `json:"seed"`
	Version string `json:"version"`
}

// ready says the server listens: always printed, for scripts that pick
// port 0.
func (p *printer) ready(srv *smtptest.Server, apiAddr string) {
	cfg := srv.Config()
	ev := readyEvent{Event: "ready", Addr: cfg.Addr, Auth: cfg.Auth, Seed: cfg.Seed, Version: "smtptest"}
	var parts []string
	switch {
	case cfg.ImplicitTLS:
		ev.TLS = "implicit"
		parts = append(parts, "implicit TLS")
	case cfg.StartTLS:
		ev.TLS = "starttls"
		parts = append(parts, "STARTTLS")
	}
	if cfg.RequireTLS {
		parts = append(parts, "TLS required")
	}
	if cfg.Auth {
		a := "AUTH PLAIN LOGIN"
		if cfg.RequireAuth {
			a += " required"
		}
		parts = append(parts, a)
	}
	// The address and the URL are words of their own, for scripts.
	line := "smtptest: listening on " + cfg.Addr
	if len(parts) > 0 {
		line += " - " + strings.Join(parts, ", ")
	}
	if apiAddr != "" {
		ev.HTTP = "http://" + apiAddr
		line += " - HTTP API on " + ev.HTTP
	}
	line += fmt.Sprintf(" - fault seed %d", cfg.Seed)
	p.emit(ev, line)
}

// messageEvent is a message as the API summarizes it, with the event's
// fields.
type messageEvent struct {
	Event string `json:"event"`
	Time  string `json:"time"`
	summaryJSON
	File string  `json:"file,omitempty"`
	Data *string `json:"data,omitempty"`
}

type rejectionEvent struct {
	Event string `json:"event"`
	rejectionJSON
}

type connEvent struct {
	Event  string `json:"event"`
	Time   string `json:"time"`
	Conn   int    `json:"conn"`
	Remote string `json:"remote"`
}

// event prints a server event. The server does not call it concurrently.
func (p *printer) event(ev smtptest.Event) {
	if p.quiet {
		return
	}
	switch ev.Kind {
	case smtptest.EventMessage:
		p.message(ev.Message)
	case smtptest.EventRejection:
		r := ev.Rejection
		p.emit(rejectionEvent{Event: "rejection", rejectionJSON: newRejectionJSON(*r)},
			fmt.Sprintf("%s refused (conn %d) %s", r.Time.Format(timeFormat), r.ConnID, r))
	case smtptest.EventConnect, smtptest.EventClose:
		if p.json {
			p.emit(connEvent{Event: ev.Kind.String(), Time: ev.Time.Format(timeFormat), Conn: ev.ConnID, Remote: ev.Remote.String()}, "")
		}
	}
}

func (p *printer) message(m *smtptest.Message) {
	p.seq++
	ev := messageEvent{Event: "message", Time: m.Received.Format(timeFormat), summaryJSON: summary(p.seq, m)}
	if p.files != nil {
		ev.File = p.files.fileOf(m)
	}
	line := fmt.Sprintf("%s message %d: %s", ev.Time, ev.ID, m)
	if ev.File != "" {
		line += ", saved as " + ev.File
	}
	if p.printData {
		data := string(m.Data)
		ev.Data = &data
		line += "\n" + strings.ReplaceAll(data, "\r\n", "\n")
	}
	p.emit(ev, line)
}

func tlsName(t *smtptest.TLSInfo) string {
	if t == nil {
		return ""
	}
	return tls.VersionName(t.Version)
}

// stopping says a signal came: the server finishes what is in flight.
func (p *printer) stopping(wait time.Duration) {
	if p.quiet {
		return
	}
	p.emit(map[string]string{"event": "stopping"},
		fmt.Sprintf("smtptest: stopping: finishing messages in flight (at most %v)", wait))
}

type stoppedEvent struct {
	Event      string `json:"event"`
	Messages   int    `json:"messages"`
	Rejections int    `json:"rejections"`
}

// stopped prints the summary after shutdown.
func (p *printer) stopped(srv *smtptest.Server) {
	if p.quiet {
		return
	}
	n, r := len(srv.Messages()), len(srv.Rejections())
	p.emit(stoppedEvent{Event: "stopped", Messages: n, Rejections: r},
		fmt.Sprintf("smtptest: stopped: %d message(s), %d refusal(s)", n, r))
}

type errorEvent struct {
	Event string `json:"event"`
	Time  string `json:"time"`
	Error string `json:"error"`
}

// errorf reports an error: on standard error, and as a JSON event.
func (p *printer) errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.mu.Lock()
	fmt.Fprintf(p.errOut, "smtptest: error: %s\n", msg)
	p.mu.Unlock()
	if p.json {
		p.emit(errorEvent{Event: "error", Time: time.Now().Format(timeFormat), Error: msg}, "")
	}
}
