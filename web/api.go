package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/internal/jsonview"
)

// defaultWait is how long GET /api/messages/wait waits without a timeout
// parameter, and maxWait the longest it may be asked to.
const (
	defaultWait = 10 * time.Second
	maxWait     = 10 * time.Minute
)

// newAPI serves the HTTP JSON API described in cmd/smtptest's manual,
// Mailpit's API and the UI, with mb beside the record. Reads cost what
// they return: a list copies no message data, a message copies that one,
// and none holds up recording.
func newAPI(srv *smtptest.Server, mb *mailbox, faults *faultSet, ch *jsonview.Checks, guard *hostGuard, h *hub) http.Handler {
	mux := http.NewServeMux()
	h.forgetting(mb.forget) // what retention forgets goes from the mailbox at once
	faults.changed = func() { h.publishJSON("faults", struct{}{}) }
	mailpitRoutes(mux, srv, mb, faults)
	lc := newLinkChecker(srv.Addr(), guard.listen)
	uiRoutes(mux, srv, mb, h, ch, lc)
	mux.HandleFunc("GET /api/v1/message/{id}/link-check", mpLinkCheck(mb, lc, guard))
	mux.HandleFunc("GET /api/v1/message/{id}/html-check", mpHTMLCheckHandler(mb))
	mux.HandleFunc("GET /api/messages", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, jsonview.Summaries(srv.Summaries()))
	})
	mux.HandleFunc("GET /api/messages/wait", waitHandler(srv, mb))
	mux.HandleFunc("GET /api/messages/{id}", func(w http.ResponseWriter, r *http.Request) {
		if m, ok := message(w, r, srv); ok {
			writeJSON(w, http.StatusOK, detail(m, ch))
		}
	})
	mux.HandleFunc("GET /api/messages/{id}/raw", func(w http.ResponseWriter, r *http.Request) {
		if m, ok := message(w, r, srv); ok {
			untrusted(w)
			w.Header().Set("Content-Type", "message/rfc822")
			w.Write(m.Data)
		}
	})
	mux.HandleFunc("GET /api/messages/{id}/attachments/{n}", attachmentHandler(srv))
	mux.HandleFunc("DELETE /api/messages", func(w http.ResponseWriter, r *http.Request) {
		srv.Reset()
		mb.prune() // what the mailbox kept of them goes now, not at its next pruning
		h.publishJSON("deleted", deletedJSON{All: true})
		h.publish(hubEvent{name: "resync", data: []byte("{}")}) // the refusals are gone too
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /api/rejections", func(w http.ResponseWriter, r *http.Request) {
		rejs := []jsonview.Rejection{}
		for _, rej := range srv.Rejections() {
			rejs = append(rejs, jsonview.RejectionOf(rej))
		}
		writeJSON(w, http.StatusOK, rejs)
	})
	mux.HandleFunc("GET /api/faults", func(w http.ResponseWriter, r *http.Request) {
		items := faults.list()
		if items == nil {
			items = []faultItem{}
		}
		writeJSON(w, http.StatusOK, items)
	})
	mux.HandleFunc("POST /api/faults", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFaultText))
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("the fault text: %v (at most %d bytes)", err, maxFaultText))
			return
		}
		spec := strings.TrimSpace(string(body))
		f, err := smtptest.ParseFault(spec)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		item, err := faults.add(spec, f)
		if err != nil {
			writeError(w, http.StatusTooManyRequests, err.Error())
			return
		}
		writeJSON(w, http.StatusCreated, item)
	})
	mux.HandleFunc("DELETE /api/faults/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil || !faults.remove(id) {
			writeError(w, http.StatusNotFound, "no fault "+r.PathValue("id"))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /api/faults", func(w http.ResponseWriter, r *http.Request) {
		faults.clear()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /api/transcript", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, srv.Transcript())
	})
	return guard.wrap(mux)
}

// waitHandler answers GET /api/messages/wait?count=N&timeout=D: the
// summaries once N messages have arrived (since the start or the last
// DELETE), or 408 with what there is. With query=Q (Mailpit's search
// syntax), it waits until N messages kept match Q and answers those.
func waitHandler(srv *smtptest.Server, mb *mailbox) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		count, err := strconv.Atoi(r.URL.Query().Get("count"))
		if err != nil || count < 0 {
			writeError(w, http.StatusBadRequest, "count must be a number of messages")
			return
		}
		timeout := defaultWait
		if t := r.URL.Query().Get("timeout"); t != "" {
			if timeout, err = time.ParseDuration(t); err != nil || timeout < 0 || timeout > maxWait {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("timeout: want a duration from 0 to %v, like 30s", maxWait))
				return
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		if s := strings.TrimSpace(r.URL.Query().Get("query")); s != "" {
			q, err := parseQuery(s, mpZone(r))
			if err != nil {
				writeError(w, http.StatusBadRequest, err.Error())
				return
			}
			qw := newQueryWait(q, srv, mb)
			for {
				// Count first, then look: a message that arrives in
				// between is seen now or wakes the wait below.
				seen, _ := srv.WaitForMessageCount(ctx, 0)
				matched := qw.matched()
				if len(matched) >= count {
					writeJSON(w, http.StatusOK, summariesOf(srv, matched))
					return
				}
				if _, err := srv.WaitForMessageCount(ctx, seen+1); err != nil {
					writeJSON(w, http.StatusRequestTimeout, summariesOf(srv, matched))
					return
				}
			}
		}
		_, err = srv.WaitForMessageCount(ctx, count)
		status := http.StatusOK
		if err != nil {
			status = http.StatusRequestTimeout
		}
		writeJSON(w, status, jsonview.Summaries(srv.Summaries()))
	}
}

// queryWait is the search of a wait: each message is matched once, when
// the wait first sees it, not the whole store again for every new one
// (4,000 terms over 20 MB made each SMTP reply wait 179 ms).
type queryWait struct {
	q      query
	srv    *smtptest.Server
	mb     *mailbox
	judged map[int]bool // message ID -> matched
	byRead bool         // is:read and is:unread change: judged anew each time
	match  func(query, *searchable) bool
}

func newQueryWait(q query, srv *smtptest.Server, mb *mailbox) *queryWait {
	return &queryWait{q: q, srv: srv, mb: mb, judged: map[int]bool{}, byRead: q.byReadStatus(),
		match: func(q query, s *searchable) bool { return q.matches(s) }}
}

// matched returns the IDs of the messages kept that match, in the
// record's order.
func (qw *queryWait) matched() []int {
	var out []int
	for _, sum := range qw.srv.Summaries() {
		ok, done := qw.judged[sum.ID]
		if !done || qw.byRead {
			if it, found := qw.mb.item(sum.ID); found {
				fields := it.search
				fields.read = it.read
				ok = qw.match(qw.q, &fields)
			}
			qw.judged[sum.ID] = ok
		}
		if ok {
			out = append(out, sum.ID)
		}
	}
	return out
}

// summariesOf returns the summaries of the messages with these IDs, in
// the record's order.
func summariesOf(srv *smtptest.Server, ids []int) []jsonview.Summary {
	want := map[int]bool{}
	for _, id := range ids {
		want[id] = true
	}
	out := []jsonview.Summary{}
	for _, s := range srv.Summaries() {
		if want[s.ID] {
			out = append(out, jsonview.SummaryOf(s))
		}
	}
	return out
}

// attachmentHandler answers GET /api/messages/{id}/attachments/{n}: the
// n-th attachment (from 1), to download.
func attachmentHandler(srv *smtptest.Server) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		m, ok := message(w, r, srv)
		if !ok {
			return
		}
		atts, err := m.Attachments()
		if err != nil {
			writeError(w, http.StatusUnprocessableEntity, "the attachments cannot be read: "+err.Error())
			return
		}
		n, err := strconv.Atoi(r.PathValue("n"))
		if err != nil || n < 1 || n > len(atts) {
			writeError(w, http.StatusNotFound, fmt.Sprintf("no attachment %s (message %d has %d, numbered from 1)", r.PathValue("n"), m.ID, len(atts)))
			return
		}
		a := atts[n-1]
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		untrusted(w)
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Disposition", contentDisposition("attachment", a.Filename))
		w.Write(a.Data)
	}
}

// maxFaultText bounds the body of POST /api/faults.
const maxFaultText = 4 << 10

// message finds message {id} of the request, or answers 404.
func message(w http.ResponseWriter, r *http.Request, srv *smtptest.Server) (*smtptest.Message, bool) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err == nil {
		if m, ok := srv.MessageByID(id); ok {
			return m, true
		}
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("no message %s (IDs are those GET /api/messages lists; deleted and forgotten ones are gone)", r.PathValue("id")))
	return nil, false
}

type attachmentJSON struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Disposition string `json:"disposition,omitempty"`
	ContentID   string `json:"content_id,omitempty"`
	Size        int    `json:"size"`
}

type detailJSON struct {
	jsonview.Summary
	Headers     map[string][]string `json:"headers"`
	Text        *string             `json:"text"`
	HTML        *string             `json:"html"`
	Attachments []attachmentJSON    `json:"attachments"`
	Errors      map[string]string   `json:"errors,omitempty"` // what could not be read, by part
	Problems    []jsonview.Problem  `json:"problems"`         // what package lint finds wrong with it
	DKIM        []jsonview.DKIM     `json:"dkim"`             // its DKIM signatures, verified against -dkim-key
}

func detail(m *smtptest.Message, ch *jsonview.Checks) detailJSON {
	d := detailJSON{Summary: jsonview.SummaryOf(m.Summary()), Headers: map[string][]string{}, Attachments: []attachmentJSON{}, Errors: map[string]string{}}
	d.Problems, d.DKIM = ch.Judge(m)
	if h, err := m.Header(); err != nil {
		d.Errors["headers"] = err.Error()
	} else {
		fields := h.Fields()
		for fields.Next() {
			v, err := fields.Text()
			if err != nil {
				v = fields.Value()
			}
			d.Headers[fields.Key()] = append(d.Headers[fields.Key()], v)
		}
	}
	body := func(name string, read func() (string, error)) *string {
		s, err := read()
		if err != nil {
			d.Errors[name] = err.Error()
			return nil
		}
		return &s
	}
	d.Text = body("text", m.TextBody)
	d.HTML = body("html", m.HTMLBody)
	if atts, err := m.Attachments(); err != nil {
		d.Errors["attachments"] = err.Error()
	} else {
		for _, a := range atts {
			d.Attachments = append(d.Attachments, attachmentJSON{a.Filename, a.ContentType, a.Disposition, a.ContentID, len(a.Data)})
		}
	}
	return d
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
