package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/internal/jsonview"
)

// The web UI: plain HTML, CSS and JavaScript modules in ui/, embedded in
// the binary (no build step, nothing loaded from the network), served at
// the root of -http; what it reads comes from the API and the event
// stream below.

//go:embed ui
var uiFiles embed.FS

// uiPolicy is the Content-Security-Policy of the UI's own pages: its own
// scripts and styles only, frames from this server (the sandboxed message
// HTML), no plugins, no other site framing it.
const uiPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// renderPolicy is that of a message's HTML as the UI shows it: a sandbox
// (an origin of its own, no scripts, no forms), images from the message
// only — remote ones, styles and fonts when the user asks (remote=1).
const (
	renderPolicy       = "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"
	renderPolicyRemote = "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline' *; font-src * data:"
)

// uiItem is a message in the UI's list.
type uiItem struct {
	ID          int       `json:"id"`
	From        string    `json:"from"`
	To          string    `json:"to"`
	Subject     string    `json:"subject"`
	Received    time.Time `json:"received"`
	Size        int       `json:"size"`
	Attachments int       `json:"attachments"`
	Problems    int       `json:"problems"` // lint problems
	Errors      int       `json:"errors"`   // of which errors
	DKIM        string    `json:"dkim"`     // "", "verified", "failed"
	Read        bool      `json:"read"`
	Tags        []string  `json:"tags,omitempty"`
}

func (it item) ui() uiItem {
	s := it.summary
	u := uiItem{ID: s.id, Subject: s.Subject, Received: s.Created, Size: s.Size, Attachments: s.Attachments,
		Problems: it.problems, Errors: it.errors, DKIM: it.dkim, Read: it.read, Tags: it.tags}
	u.From = s.From.Address
	if s.From.Name != "" {
		u.From = s.From.Name + " <" + s.From.Address + ">"
	}
	var to []string
	for _, a := range s.To {
		to = append(to, a.Address)
	}
	u.To = strings.Join(to, ", ")
	return u
}

// uiRoutes adds the UI and what only it uses to mux.
func uiRoutes(mux *http.ServeMux, srv *smtptest.Server, mb *mailbox, h *hub, ch *jsonview.Checks, lc *linkChecker) {
	static, _ := fs.Sub(uiFiles, "ui")
	files := http.FileServerFS(static)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		uiHeaders(w)
		http.ServeFileFS(w, r, static, "index.html")
	})
	mux.Handle("GET /ui/", http.StripPrefix("/ui/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uiHeaders(w)
		files.ServeHTTP(w, r)
	})))
	mux.HandleFunc("GET /api/ui/server", func(w http.ResponseWriter, r *http.Request) {
		cfg := srv.Config()
		writeJSON(w, http.StatusOK, map[string]any{"addr": cfg.Addr, "domain": cfg.Domain, "seed": strconv.FormatUint(cfg.Seed, 10), "version": version()})
	})
	mux.HandleFunc("GET /api/ui/messages", func(w http.ResponseWriter, r *http.Request) {
		items := mb.list()
		if s := strings.TrimSpace(r.URL.Query().Get("query")); s != "" {
			q, err := parseQuery(s, mpZone(r))
			if err != nil {
				writeError(w, http.StatusBadRequest, err.Error())
				return
			}
			items = filter(items, q)
		}
		out := make([]uiItem, len(items))
		for i, it := range items {
			out[i] = it.ui()
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("GET /api/ui/messages/{id}", func(w http.ResponseWriter, r *http.Request) {
		m, ok := message(w, r, srv)
		if !ok {
			return
		}
		mb.setRead([]int{m.ID}, true)
		links, err := m.Links()
		if links == nil {
			links = []string{}
		}
		d := uiDetail{detailJSON: detail(m, ch), Links: links}
		if err != nil {
			d.Errors["links"] = err.Error()
		}
		text, htmlBody, attachments, inline, _ := bodies(m)
		d.HasHTML = htmlBody != ""
		if text != "" {
			d.Text = &text // made from the HTML when there is no text
		}
		d.Parts = append(inline, attachments...)
		writeJSON(w, http.StatusOK, d)
	})
	mux.HandleFunc("GET /api/ui/messages/{id}/transcript", func(w http.ResponseWriter, r *http.Request) {
		if m, ok := message(w, r, srv); ok {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, srv.TranscriptOf(m.ConnID))
		}
	})
	mux.HandleFunc("GET /api/ui/messages/{id}/render", func(w http.ResponseWriter, r *http.Request) {
		m, ok := message(w, r, srv)
		if !ok {
			return
		}
		_, htmlBody, attachments, inline, _ := bodies(m)
		policy := renderPolicy
		if r.URL.Query().Get("remote") == "1" {
			policy = renderPolicyRemote
		}
		w.Header().Set("Content-Security-Policy", policy)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// Links open a new window, not the frame.
		io.WriteString(w, `<base target="_blank">`+withoutFetches(linkCIDs(mountPath(r), htmlBody, m.ID, append(inline, attachments...))))
	})
	mux.HandleFunc("POST /api/ui/messages/{id}/links/check", linkCheckHandler(srv, lc))
	mux.HandleFunc("GET /api/ui/stream", streamHandler(mb, h))
}

// uiDetail is a message as the UI's view shows it.
type uiDetail struct {
	detailJSON
	Links   []string       `json:"links"`
	HasHTML bool           `json:"has_html"`
	Parts   []mpAttachment `json:"parts"` // inline parts and attachments, with their PartIDs
}

func uiHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Security-Policy", uiPolicy)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-cache")
}

// linkCheckHandler answers POST /api/ui/messages/{id}/links/check with
// {"url": ...}: lc's check of that URL, which must be one of the message's
// http or https links (the server fetches nothing else): the status, or
// why there is none.
func linkCheckHandler(srv *smtptest.Server, lc *linkChecker) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		m, ok := message(w, r, srv)
		if !ok {
			return
		}
		var req struct {
			URL string `json:"url"`
		}
		if err := decodeJSON(w, r, &req); err != nil {
			writeError(w, http.StatusBadRequest, "want {\"url\": ...}: "+err.Error())
			return
		}
		links, _ := m.Links()
		if !slices.Contains(links, req.URL) || !(strings.HasPrefix(req.URL, "http://") || strings.HasPrefix(req.URL, "https://")) {
			writeError(w, http.StatusBadRequest, "not an http or https link of this message")
			return
		}
		writeJSON(w, http.StatusOK, lc.check(r.Context(), req.URL))
	}
}

// streamHandler serves the UI's event stream (Server-Sent Events):
// message (the list item), rejection, connection (closed: its number),
// deleted, faults; resync when the stream fell behind or the record was
// reset (DELETE /api/messages) and the UI must reload. A comment every
// 20 s keeps proxies and the write deadline satisfied.
func streamHandler(mb *mailbox, h *hub) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, unsubscribe, err := h.subscribe()
		if err != nil {
			writeError(w, http.StatusTooManyRequests, err.Error())
			return
		}
		defer unsubscribe()
		rc := http.NewResponseController(w)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		// write writes one event; flush sends what was written. In a burst
		// the events are flushed together, once none is waiting.
		write := func(name string, data []byte) bool {
			rc.SetWriteDeadline(time.Now().Add(time.Minute))
			_, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, data)
			return err == nil
		}
		flush := func() bool { return rc.Flush() == nil }
		if !write("hello", []byte("{}")) || !flush() {
			return
		}
		tick := time.NewTicker(20 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-s.done:
				return
			case <-tick.C:
				rc.SetWriteDeadline(time.Now().Add(time.Minute))
				if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil || !flush() {
					return
				}
			case ev := <-s.events:
				if data, ok := eventData(mb, ev); ok && !write(ev.name, data) {
					return
				}
			}
			if s.lagged.Swap(false) && !write("resync", []byte("{}")) {
				return
			}
			if len(s.events) == 0 && !flush() {
				return
			}
		}
	}
}

// eventData is what the stream sends of ev; false if nothing (the message
// is gone already).
func eventData(mb *mailbox, ev hubEvent) ([]byte, bool) {
	switch ev.name {
	case "message":
		encode := func() ([]byte, bool) {
			it, ok := mb.item(ev.id)
			if !ok {
				return nil, false
			}
			data, _ := json.Marshal(it.ui())
			return data, true
		}
		if ev.enc == nil {
			return encode()
		}
		return ev.enc.get(encode) // once for all the streams
	case "connection":
		return []byte(strconv.Itoa(ev.id)), true
	case "faults":
		return []byte("{}"), true
	}
	return ev.data, true
}
