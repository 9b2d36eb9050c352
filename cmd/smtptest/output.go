package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/internal/jsonview"
)

// printer writes what happens, as lines for people or JSON objects for
// scripts. Lines go through queues (see lineQueue): output never holds up
// the server, whoever reads it or not. The server calls event one event
// at a time; the other methods may run on other goroutines.
type printer struct {
	analysis               *analysis // events pass through it on their way to event
	out, errOut            *lineQueue
	json, quiet, printData bool
	files                  *store           // where messages were saved, if anywhere
	checks                 *jsonview.Checks // lint and DKIM

	closeOnce sync.Once

	mu          sync.Mutex // guards the fields below
	discardSeen map[string]bool
	lastAccept  time.Time // when an accept error was last printed
	acceptQuiet int       // accept errors not printed since
}

func newPrinter(out, errOut io.Writer, c *config) *printer {
	p := &printer{
		out: newLineQueue(out), errOut: newLineQueue(errOut),
		json: c.json, quiet: c.quiet, printData: c.printData, checks: c.checks,
		discardSeen: map[string]bool{},
	}
	if p.checks == nil {
		p.checks = jsonview.NewChecks(false, nil)
	}
	p.analysis = newAnalysis(p)
	return p
}

// submit takes an event from the server (its OnEvent): it is judged and
// printed in order, off the server's goroutine (see analysis).
func (p *printer) submit(ev smtptest.Event) { p.analysis.event(ev) }

// close writes what is queued, waiting at most d in all for both outputs
// together; a second call returns at once.
func (p *printer) close(d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	p.closeWithin(ctx)
}

// closeWithin is close, waiting until ctx ends at most.
func (p *printer) closeWithin(ctx context.Context) {
	p.closeOnce.Do(func() {
		p.analysis.close(ctx) // what it still holds goes to the queues first
		var wg sync.WaitGroup
		for _, q := range []*lineQueue{p.out, p.errOut} {
			wg.Go(func() { q.close(ctx) })
		}
		wg.Wait()
	})
}

// emit writes one JSON object, or a line of text.
func (p *printer) emit(obj any, line string) { p.out.put(p.format(obj, line)) }

// format is what emit prints: obj as JSON with -json, else line; a line
// each.
func (p *printer) format(obj any, line string) string {
	if p.json {
		b, _ := json.Marshal(obj)
		return string(b) + "\n"
	}
	return line + "\n"
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
	jsonview.Summary
	Problems []jsonview.Problem `json:"problems"` // what package lint finds wrong with it
	DKIM     []jsonview.DKIM    `json:"dkim"`     // its DKIM signatures, verified against -dkim-key
	File     string             `json:"file,omitempty"`
	Data     *string            `json:"data,omitempty"`
}

type rejectionEvent struct {
	Event string `json:"event"`
	jsonview.Rejection
}

type connEvent struct {
	Event  string `json:"event"`
	Time   string `json:"time"`
	Conn   int    `json:"conn"`
	Remote string `json:"remote"`
}

// event prints a server event, in the order they came (analysis calls it
// one at a time).
func (p *printer) event(ev smtptest.Event) {
	if ev.Kind == smtptest.EventError {
		p.acceptError(ev) // an error: printed even with -quiet
		return
	}
	if p.quiet {
		return
	}
	switch ev.Kind {
	case smtptest.EventMessage:
		p.message(ev.Message)
	case smtptest.EventRejection:
		r := ev.Rejection
		p.emit(rejectionEvent{Event: "rejection", Rejection: jsonview.RejectionOf(*r)},
			fmt.Sprintf("%s refused (conn %d) %s", r.Time.Format(jsonview.TimeFormat), r.ConnID, r))
	case smtptest.EventConnect, smtptest.EventClose:
		if p.json {
			p.emit(connEvent{Event: ev.Kind.String(), Time: ev.Time.Format(jsonview.TimeFormat), Conn: ev.ConnID, Remote: ev.Remote.String()}, "")
		}
	case smtptest.EventDiscard:
		p.discard(ev)
	}
}

type discardEvent struct {
	Event string `json:"event"`
	Time  string `json:"time"`
	What  string `json:"what"`
	ID    int    `json:"id,omitempty"`
	Conn  int    `json:"conn,omitempty"`
}

// discard reports what retention forgot: each message (someone may look
// for it), and the first transcript and rejection (they come by the
// thousand on a long run; the summary counts them).
func (p *printer) discard(ev smtptest.Event) {
	j := discardEvent{Event: "discard", Time: ev.Time.Format(jsonview.TimeFormat), What: ev.Discarded, Conn: ev.ConnID}
	switch ev.Discarded {
	case "message":
		j.ID, j.Conn = ev.MessageID, 0
		p.emit(j, fmt.Sprintf("%s forgot message %d: more than the -max-messages or -max-store-bytes kept", j.Time, ev.MessageID))
		return
	}
	p.mu.Lock()
	seen := p.discardSeen[ev.Discarded]
	p.discardSeen[ev.Discarded] = true
	p.mu.Unlock()
	if p.json {
		p.emit(j, "")
	} else if !seen {
		p.emit(nil, fmt.Sprintf("%s forgetting the oldest %ss from now on: more than -max-%ss kept", j.Time, ev.Discarded, ev.Discarded))
	}
}

// acceptError prints a failure to accept a connection (EMFILE, ...), at
// most once a second: the server retries at once and could fill the output.
func (p *printer) acceptError(ev smtptest.Event) {
	p.mu.Lock()
	if ev.Time.Sub(p.lastAccept) < time.Second {
		p.acceptQuiet++
		p.mu.Unlock()
		return
	}
	quiet := p.acceptQuiet
	p.lastAccept, p.acceptQuiet = ev.Time, 0
	p.mu.Unlock()
	msg := ev.Err.Error() + "; retrying"
	if quiet > 0 {
		msg += fmt.Sprintf(" (%d more such errors not shown)", quiet)
	}
	p.errorf("%s", msg)
}

// prints reports whether ev prints anything: with -quiet only errors do.
func (p *printer) prints(ev smtptest.Event) bool {
	return !p.quiet || ev.Kind == smtptest.EventError
}

// judges reports whether printing a message needs its judgement.
func (p *printer) judges() bool { return !p.quiet }

// render judges m (see checks.judge) and makes its output, on one of
// the analysis's workers; the printing goroutine puts it out in order.
func (p *printer) render(m *smtptest.Message) string {
	obj, line := p.messageOutput(m)
	return p.format(obj, line)
}

func (p *printer) message(m *smtptest.Message) {
	p.emit(p.messageOutput(m))
}

// messageOutput is what is printed of m: its JSON object, and its line
// ("" with -json, which does not print it).
func (p *printer) messageOutput(m *smtptest.Message) (any, string) {
	ev := messageEvent{Event: "message", Time: m.Received.Format(jsonview.TimeFormat), Summary: jsonview.SummaryOf(m.Summary())}
	ev.Problems, ev.DKIM = p.checks.Judge(m)
	if p.files != nil {
		ev.File = p.files.fileOf(m)
	}
	if p.json { // the line is not printed: not made either
		if p.printData {
			data := string(m.Data)
			ev.Data = &data
		}
		return ev, ""
	}
	line := fmt.Sprintf("%s message %d: %s", ev.Time, ev.ID, m)
	if n := len(ev.Problems); n > 0 {
		errs := 0
		for _, pr := range ev.Problems {
			if pr.Severity == "error" {
				errs++
			}
		}
		line += fmt.Sprintf(", %d lint problem(s) (%d error(s)): %s", n, errs, ev.Problems[0].Rule)
		if n > 1 {
			line += ", ..."
		}
	}
	line += jsonview.DKIMLine(ev.DKIM, p.checks.Verifying())
	if ev.File != "" {
		line += ", saved as " + ev.File
	}
	if p.printData {
		data := string(m.Data)
		ev.Data = &data
		line += "\n" + strings.ReplaceAll(data, "\r\n", "\n")
	}
	return ev, line
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
	Event        string `json:"event"`
	Messages     int    `json:"messages"`
	Rejections   int    `json:"rejections"`
	Connections  int    `json:"connections"`
	DroppedLines int    `json:"dropped_output_lines,omitempty"`
}

// stopped prints the summary after shutdown: what the server received in
// all (DELETE and retention do not lower it), and the output lines lost.
func (p *printer) stopped(srv *smtptest.Server) {
	if p.quiet {
		return
	}
	st := srv.Stats()
	dropped := p.out.droppedLines() + p.errOut.droppedLines() + p.analysis.droppedEvents()
	line := fmt.Sprintf("smtptest: stopped: %d message(s), %d refusal(s)", st.Messages, st.Rejections)
	if dropped > 0 {
		line += fmt.Sprintf(", %d output line(s) dropped (the output was not read)", dropped)
	}
	p.emit(stoppedEvent{Event: "stopped", Messages: st.Messages, Rejections: st.Rejections, Connections: st.Connections, DroppedLines: dropped}, line)
}

// warnf prints a warning on standard error (and as a JSON event).
func (p *printer) warnf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.errOut.put("smtptest: warning: " + msg + "\n")
	if p.json {
		p.emit(map[string]string{"event": "warning", "time": time.Now().Format(jsonview.TimeFormat), "warning": msg}, "")
	}
}

type sandboxEvent struct {
	Event   string `json:"event"`
	Time    string `json:"time"`
	Action  string `json:"action"` // created, deleted, expired
	ID      string `json:"id"`
	SMTP    string `json:"smtp"`
	BaseURL string `json:"base_url,omitempty"`
}

// sandbox says a sandbox was made or went.
func (p *printer) sandbox(action, id, smtp, baseURL string) {
	if p.quiet {
		return
	}
	now := time.Now().Format(jsonview.TimeFormat)
	line := fmt.Sprintf("%s sandbox %s %s (SMTP %s", now, id, action, smtp)
	if baseURL != "" {
		line += ", " + baseURL
	}
	p.emit(sandboxEvent{Event: "sandbox", Time: now, Action: action, ID: id, SMTP: smtp, BaseURL: baseURL}, line+")")
}

type errorEvent struct {
	Event string `json:"event"`
	Time  string `json:"time"`
	Error string `json:"error"`
}

// errorf reports an error: on standard error, and as a JSON event.
func (p *printer) errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.errOut.put("smtptest: error: " + msg + "\n")
	if p.json {
		p.emit(errorEvent{Event: "error", Time: time.Now().Format(jsonview.TimeFormat), Error: msg}, "")
	}
}
