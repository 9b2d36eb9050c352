// Package web serves the web side of one [smtptest.Server]: a web UI that
// shows what the server received and refused as it happens, an HTTP JSON
// API (messages, a wait, faults, transcripts) and the core of Mailpit's
// API v1, so that Mailpit's clients work against it unmodified. It is
// what cmd/smtptest serves with -http, as a package: a Go test can open
// the UI of its own server while debugging ([Debug]), or serve the API
// to a client under test ([Serve], or [Handler] on a server of its own).
//
// Every page, answer and event stream reads the one server it was made
// for; nothing is shared between two of them. The API's paths and JSON
// are described in cmd/smtptest's manual ("smtptest -h").
package web

import (
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/dkimtest"
	"github.com/smtptest/smtptest/internal/follow"
	"github.com/smtptest/smtptest/internal/jsonview"
	"github.com/smtptest/smtptest/lint"
)

// Options configure [Handler]. The zero value serves as cmd/smtptest
// -http does with its default flags.
type Options struct {
	// Addr is the address the handler is served on ("127.0.0.1:8025").
	// A request must name it, or a loopback name or address, as its Host
	// (a web page resolving its own name to 127.0.0.1 gets 403: DNS
	// rebinding), and the UI's link checker never fetches from it. ""
	// allows loopback names and addresses alone.
	Addr string

	// BulkSender judges messages with lint's bulk-sender rules too
	// ([lint.BulkSender]), as cmd/smtptest -bulk-sender.
	BulkSender bool

	// DKIMKeys verify the messages' DKIM signatures (never DNS), as
	// cmd/smtptest -dkim-key; lint's DKIM rules use them too.
	DKIMKeys []*dkimtest.Key

	// Lint are more options messages are judged with (for the UI's lint
	// problems and the API's): lint.AllowHosts for the links of a test's
	// own hosts, lint.Clients, ...
	Lint []lint.Option

	// Tags says which tags messages get when they arrive (Mailpit's
	// rules; the zero value is Mailpit's default). Clients change them
	// through Mailpit's tag API.
	Tags Tagging
}

// A Site is the web side of one server, made by [Handler]: an
// [http.Handler] that serves the UI at "/", the JSON API under "/api/"
// and Mailpit's under "/api/v1/". It may be mounted under a path with
// [http.StripPrefix] (the UI's pages link relatively, and what the
// Site writes into them names the path). Its methods are safe to call
// from any goroutine.
type Site struct {
	srv     *smtptest.Server
	handler http.Handler
	hub     *hub
	faults  *faultSet
	stop    func() // stops following the server's events

	closeOnce sync.Once
}

// Handler returns the web side of srv. It follows srv's events from now
// on (the UI's live updates; what retention forgets leaves its lists at
// once), whether or not srv has an [smtptest.OnEvent] function of its
// own; what srv recorded before is there too. opts may be nil.
//
// Close the Site when it is no longer served: it ends the UI's event
// streams, which an [http.Server.Shutdown] would otherwise wait for, and
// stops following srv. A closed server (srv.Close) needs no more: its
// Site answers from what it recorded.
func Handler(srv *smtptest.Server, opts *Options) *Site {
	if opts == nil {
		opts = &Options{}
	}
	ch := jsonview.NewChecks(opts.BulkSender, opts.DKIMKeys, opts.Lint...)
	s := &Site{srv: srv, hub: newHub(), faults: newFaultSet(srv)}
	mb := newMailbox(srv, ch, s.hub, opts.Tags)
	s.handler = newAPI(srv, mb, s.faults, ch, newHostGuard(opts.Addr), s.hub)
	s.stop = follow.Events(srv, func(ev any) { s.hub.event(ev.(smtptest.Event)) })
	return s
}

// ServeHTTP serves the UI and the APIs.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// AddFault puts in force the fault spec (as [smtptest.ParseFault] reads
// it) and lists it in the API's faults (GET /api/faults), from where a
// client may remove it. At most 256 faults may be in force.
func (s *Site) AddFault(spec string) error {
	f, err := smtptest.ParseFault(spec)
	if err != nil {
		return err
	}
	_, err = s.faults.add(spec, f)
	return err
}

// Close ends the UI's event streams, refuses new ones and stops
// following the server. The rest of the Site still answers. Close is
// idempotent.
func (s *Site) Close() {
	s.closeOnce.Do(func() {
		s.stop()
		s.hub.close()
	})
}

// mountPath is the path under which the Site is mounted, as
// http.StripPrefix leaves it: what the request's path had before the
// path the Site sees ("/sandboxes/x1" for "/sandboxes/x1/api/v1/info"),
// "" at the root. The pages use relative URLs; what the server writes
// into a page (links to a message's parts) starts with it.
func mountPath(r *http.Request) string {
	full := r.URL.Path
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
		full = u.Path
	}
	if base, ok := strings.CutSuffix(full, r.URL.Path); ok {
		return strings.TrimSuffix(base, "/")
	}
	return ""
}

// MaxWait is the longest a client may ask GET /api/messages/wait to wait
// (its timeout parameter): an [http.Server] serving a Site should allow
// writes at least this long.
const MaxWait = maxWait
