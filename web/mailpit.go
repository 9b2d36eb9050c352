package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/smtptest/smtptest"
)

// The core of Mailpit's REST API v1 (github.com/axllent/mailpit, its
// swagger docs and source, v1.30): the same paths, methods, status codes
// and JSON, so that Mailpit's clients work unmodified. What differs is in
// the manual ("MAILPIT API") and the README.

// mpList is a page of messages (Mailpit's MessagesSummary).
type mpList struct {
	Total          int         `json:"total"`
	Unread         int         `json:"unread"`
	Count          int         `json:"count"` // Mailpit's legacy field: the messages on this page
	MessagesCount  int         `json:"messages_count"`
	MessagesUnread int         `json:"messages_unread"`
	Start          int         `json:"start"`
	Tags           []string    `json:"tags"`
	Messages       []mpSummary `json:"messages"`
}

// mpMessage is one message (Mailpit's Message).
type mpMessage struct {
	ID              string
	MessageID       string
	From            *mail.Address
	To              []*mail.Address
	Cc              []*mail.Address
	Bcc             []*mail.Address
	ReplyTo         []*mail.Address
	ReturnPath      string
	Subject         string
	ListUnsubscribe mpListUnsubscribe
	Date            time.Time
	Tags            []string
	Username        string
	Text            string
	HTML            string
	Size            int
	Inline          []mpAttachment
	Attachments     []mpAttachment
}

type mpListUnsubscribe struct {
	Header     string
	Links      []string
	Errors     string
	HeaderPost string
}

type mpInfo struct {
	Version       string
	LatestVersion string
	Database      string
	DatabaseSize  int64
	Messages      int
	Unread        int
	Tags          map[string]int
	RuntimeStats  struct {
		Uptime           int64
		Memory           uint64
		MessagesDeleted  int
		SMTPAccepted     int
		SMTPAcceptedSize int64
		SMTPRejected     int
		SMTPIgnored      int
	}
}

// mailpitRoutes adds Mailpit's paths to mux.
func mailpitRoutes(mux *http.ServeMux, srv *smtptest.Server, mb *mailbox, faults *faultSet) {
	mux.HandleFunc("GET /api/v1/messages", func(w http.ResponseWriter, r *http.Request) {
		all := mb.list()
		mpPage(w, r, all, all)
	})
	mux.HandleFunc("GET /api/v1/search", func(w http.ResponseWriter, r *http.Request) {
		q, ok := mpQuery(w, r)
		if !ok {
			return
		}
		all := mb.list()
		mpPage(w, r, all, filter(all, q))
	})
	mux.HandleFunc("PUT /api/v1/messages", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Read   bool
			IDs    []string
			Search string
		}
		if err := decodeJSON(w, r, &req); err != nil {
			mpError(w, err.Error())
			return
		}
		if len(req.IDs) > 0 && req.Search != "" {
			mpError(w, "You may specify either IDs or a search query, not both")
			return
		}
		var targets []int
		switch {
		case req.Search != "":
			q, err := strictQuery(req.Search, mpZone(r))
			if err != nil {
				mpError(w, err.Error())
				return
			}
			targets = ids(mb.search(q))
		case len(req.IDs) == 0:
			targets = ids(mb.list())
		default:
			targets = numbers(req.IDs)
		}
		mb.setRead(targets, req.Read)
		mpOK(w)
	})
	mux.HandleFunc("DELETE /api/v1/messages", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ IDs []string }
		// As Mailpit documents it: no body, or no IDs ({} or
		// {"IDs": []}), deletes every message. A body that does not
		// parse (cut short, say) is refused: it never means "all".
		err := decodeJSON(w, r, &req)
		switch {
		case err == io.EOF: // no body
		case err != nil:
			mpError(w, "the body is not {\"IDs\": [...]}: "+err.Error()+" (nothing was deleted)")
			return
		}
		if len(req.IDs) == 0 {
			mb.delete(ids(mb.list()))
		} else {
			mb.delete(numbers(req.IDs))
		}
		mpOK(w)
	})
	mux.HandleFunc("DELETE /api/v1/search", func(w http.ResponseWriter, r *http.Request) {
		q, ok := mpQueryWith(w, r, strictQuery)
		if !ok {
			return
		}
		mb.delete(ids(mb.search(q)))
		mpOK(w)
	})
	mux.HandleFunc("GET /api/v1/message/{id}", func(w http.ResponseWriter, r *http.Request) {
		m, ok := mpMessageOf(w, r, mb, r.PathValue("id"))
		if !ok {
			return
		}
		mb.setRead([]int{m.ID}, true) // as Mailpit: reading a message marks it read
		d := mpDetail(m)
		if it, ok := mb.item(m.ID); ok {
			d.Tags = it.tags
		}
		writeJSON(w, http.StatusOK, d)
	})
	mux.HandleFunc("GET /api/v1/message/{id}/headers", func(w http.ResponseWriter, r *http.Request) {
		m, ok := mpMessageOf(w, r, mb, r.PathValue("id"))
		if !ok {
			return
		}
		// net/mail's map, as Mailpit serves it: canonical keys, values
		// as written, keys in alphabetical order in the JSON.
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			mpError(w, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, msg.Header)
	})
	mux.HandleFunc("GET /api/v1/message/{id}/raw", func(w http.ResponseWriter, r *http.Request) {
		m, ok := mpMessageOf(w, r, mb, r.PathValue("id"))
		if !ok {
			return
		}
		untrusted(w)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if r.FormValue("dl") == "1" {
			w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"%d.eml\"", m.ID))
		}
		w.Write(m.Data)
	})
	mux.HandleFunc("GET /api/v1/message/{id}/part/{part}", func(w http.ResponseWriter, r *http.Request) {
		m, ok := mpMessageOf(w, r, mb, r.PathValue("id"))
		if !ok {
			return
		}
		_, _, _, _, parts := bodies(m)
		for _, p := range parts {
			if p.Part != r.PathValue("part") {
				continue
			}
			name := p.Filename
			if name == "" {
				name = p.ContentID
			}
			ct := p.ContentType
			if ct == "" {
				ct = "application/octet-stream"
			}
			untrusted(w)
			w.Header().Set("Content-Type", ct)
			w.Header().Set("Content-Disposition", contentDisposition("inline", name))
			w.Write(p.Data)
			return
		}
		mpNotFound(w)
	})
	mux.HandleFunc("GET /api/v1/info", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, mpInfoOf(srv, mb))
	})
	mux.HandleFunc("GET /api/v1/tags", func(w http.ResponseWriter, r *http.Request) {
		names, _ := mb.allTags()
		writeJSON(w, http.StatusOK, names)
	})
	mux.HandleFunc("PUT /api/v1/tags", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Tags []string
			IDs  []string
		}
		if err := decodeJSON(w, r, &body); err != nil {
			mpError(w, err.Error())
			return
		}
		mb.setTags(numbers(body.IDs), body.Tags)
		mpOK(w)
	})
	mux.HandleFunc("PUT /api/v1/tags/{tag}", func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Name string }
		if err := decodeJSON(w, r, &body); err != nil {
			mpError(w, err.Error())
			return
		}
		if err := mb.renameTag(r.PathValue("tag"), body.Name); err != nil {
			mpError(w, err.Error())
			return
		}
		mpOK(w)
	})
	mux.HandleFunc("DELETE /api/v1/tags/{tag}", func(w http.ResponseWriter, r *http.Request) {
		if err := mb.deleteTag(r.PathValue("tag")); err != nil {
			mpError(w, err.Error())
			return
		}
		mpOK(w)
	})
	mux.HandleFunc("GET /api/v1/chaos", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, faults.chaos())
	})
	mux.HandleFunc("PUT /api/v1/chaos", func(w http.ResponseWriter, r *http.Request) {
		var t chaosTriggers
		if err := decodeJSON(w, r, &t); err != nil && err != io.EOF {
			mpError(w, err.Error())
			return
		}
		if err := faults.setChaos(t); err != nil {
			mpError(w, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, faults.chaos())
	})
	mux.HandleFunc("GET /view/{file}", func(w http.ResponseWriter, r *http.Request) {
		file := r.PathValue("file")
		id, ext, _ := strings.Cut(file, ".")
		if ext != "html" && ext != "txt" {
			mpNotFound(w)
			return
		}
		m, ok := mpMessageOf(w, r, mb, id)
		if !ok {
			return
		}
		text, htmlBody, attachments, inline, _ := bodies(m)
		if ext == "txt" {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, text)
			return
		}
		if htmlBody == "" {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, "This message does not contain a HTML part")
			return
		}
		// The message's HTML comes from whoever sent the mail: in a
		// sandbox (an origin of its own, no scripts), so that it can do
		// nothing in this server's name.
		w.Header().Set("Content-Security-Policy", viewPolicy)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, withoutFetches(linkCIDs(mountPath(r), htmlBody, m.ID, append(inline, attachments...))))
	})
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
}

// viewPolicy is the Content-Security-Policy of /view/{id}.html: a sandbox
// without scripts (links may open new windows), remote images allowed as
// in Mailpit's view.
const viewPolicy = "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline' *; font-src *"

// maxJSONBody bounds the JSON bodies of the v1 API.
const maxJSONBody = 1 << 20

// decodeJSON reads the request's JSON body into v; a body over
// maxJSONBody is an *http.MaxBytesError.
// tagNames are the tags of items, sorted (a Mailpit list's "tags": every
// tag in use).
func tagNames(items []item) []string {
	out := []string{}
	for _, it := range items {
		for _, t := range it.tags {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	sortTags(out)
	return out
}

func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	return json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody)).Decode(v)
}

// mpPage answers a list or a search: of matched (newest first), the page
// that start and limit ask for (limit 50 by default, 0 for all), with the
// totals of all.
func mpPage(w http.ResponseWriter, r *http.Request, all, matched []item) {
	start, _ := strconv.Atoi(r.URL.Query().Get("start"))
	start = max(start, 0)
	limit := 50
	if l, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && l >= 0 {
		limit = l
	}
	if b := r.URL.Query().Get("before"); b != "" {
		if when, ok := parseWhen(cleanString(b), mpZone(r)); ok {
			kept := []item{}
			for _, it := range matched {
				if it.summary.Created.Before(when) {
					kept = append(kept, it)
				}
			}
			matched = kept
		}
	}
	res := mpList{Tags: tagNames(all), Messages: []mpSummary{}, Start: start, Total: len(all), MessagesCount: len(matched)}
	for _, it := range all {
		if !it.read {
			res.Unread++
		}
	}
	for _, it := range matched {
		if !it.read {
			res.MessagesUnread++
		}
	}
	page := matched[min(start, len(matched)):]
	if limit > 0 && len(page) > limit {
		page = page[:limit]
	}
	for _, it := range page {
		s := it.summary
		s.Read, s.Tags = it.read, it.tags
		res.Messages = append(res.Messages, s)
	}
	res.Count = len(res.Messages)
	writeJSON(w, http.StatusOK, res)
}

// mpQuery reads the query parameter of a search, or answers 400 as
// Mailpit does when there is none.
func mpQuery(w http.ResponseWriter, r *http.Request) (query, bool) {
	return mpQueryWith(w, r, parseQuery)
}

// mpQueryWith is mpQuery with the parser given (strictQuery for a
// deletion).
func mpQueryWith(w http.ResponseWriter, r *http.Request, parse func(string, *time.Location) (query, error)) (query, bool) {
	s := strings.TrimSpace(r.URL.Query().Get("query"))
	if s == "" {
		mpError(w, "Error: no search query")
		return nil, false
	}
	q, err := parse(s, mpZone(r))
	if err != nil {
		mpError(w, err.Error())
		return nil, false
	}
	return q, true
}

// mpZone is the time zone of the request's tz parameter (local time if
// none, as Mailpit; an unknown zone is ignored, as Mailpit ignores it).
func mpZone(r *http.Request) *time.Location {
	if tz := r.URL.Query().Get("tz"); tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			return loc
		}
	}
	return time.Local
}

// mpMessageOf finds the message id names ("latest": the newest, or the
// newest the query parameter selects), or answers 404 as Mailpit does.
func mpMessageOf(w http.ResponseWriter, r *http.Request, mb *mailbox, id string) (*smtptest.Message, bool) {
	if id == "latest" {
		items := mb.list()
		if s := strings.TrimSpace(r.URL.Query().Get("query")); s != "" {
			q, err := parseQuery(s, mpZone(r))
			if err != nil {
				mpError(w, err.Error())
				return nil, false
			}
			items = mb.search(q)
		}
		if len(items) == 0 {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, "Message not found")
			return nil, false
		}
		id = items[0].summary.ID
	}
	n, err := strconv.Atoi(id)
	if err == nil {
		if m, ok := mb.srv.MessageByID(n); ok {
			return m, true
		}
	}
	mpNotFound(w)
	return nil, false
}

// mpDetail is m as GET /api/v1/message/{id} gives it.
func mpDetail(m *smtptest.Message) mpMessage {
	f := readHeader(m)
	text, htmlBody, attachments, inline, _ := bodies(m)
	d := mpMessage{
		ID: strconv.Itoa(m.ID), MessageID: f.messageID, From: f.from, To: f.to, Cc: f.cc, Bcc: f.bcc, ReplyTo: f.replyTo,
		ReturnPath: f.returnPath, Subject: f.subject, Date: f.date, Tags: []string{}, Username: m.AuthUser,
		Text: text, HTML: htmlBody, Size: len(m.Data), Inline: inline, Attachments: attachments,
		ListUnsubscribe: mpListUnsubscribe{Links: []string{}},
	}
	if f.listUnsub != "" {
		d.ListUnsubscribe.Header = f.listUnsub
		d.ListUnsubscribe.HeaderPost = f.listUnsubPost
		d.ListUnsubscribe.Links, d.ListUnsubscribe.Errors = unsubscribeLinks(f.listUnsub)
	}
	return d
}

// unsubscribeLinks returns the <URI>s of a List-Unsubscribe value, and
// what is wrong with it ("" if nothing).
func unsubscribeLinks(v string) ([]string, string) {
	links := []string{}
	var problems []string
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		if len(item) < 2 || item[0] != '<' || item[len(item)-1] != '>' {
			problems = append(problems, fmt.Sprintf("%q is not a <URI>", item))
			continue
		}
		links = append(links, item[1:len(item)-1])
	}
	return links, strings.Join(problems, "; ")
}

// linkCIDs points the cid: references of an HTML body at the parts they
// name, as Mailpit's view does: a reference is "cid:" and a Content-ID
// (compared without case) after "=", "=\"" or "='", followed by a quote,
// white space, "/", ">" or ";". One pass over the body, whatever the
// number of parts (a regular expression per part took 105 s for 8,000
// parts and 1 MiB of HTML).
func linkCIDs(base, htmlBody string, id int, parts []mpAttachment) string {
	const maxID = 998          // a Content-ID is at most a line: longer ones are not linked
	ids := map[string]string{} // lower-case Content-ID -> PartID; the first part wins
	for _, p := range parts {
		if k := asciiLower(p.ContentID); k != "" && len(k) <= maxID {
			if _, dup := ids[k]; !dup {
				ids[k] = p.PartID
			}
		}
	}
	if len(ids) == 0 {
		return htmlBody
	}
	lower := asciiLower(htmlBody)
	terminator := func(c byte) bool { return strings.IndexByte("\"' \t\r\n\f>;", c) >= 0 }
	var b strings.Builder
	done := 0 // htmlBody[:done] is written
	term := 0 // the first terminator at or after the search position, once found
	for at := 0; ; {
		i := strings.Index(lower[at:], "cid:")
		if i < 0 {
			break
		}
		start := at + i // the "cid:"
		at = start + 4
		if !cidAfterEquals(htmlBody, start) {
			continue
		}
		// The id runs to the next terminator (the search only moves
		// forward, and so does it); a Content-ID may hold a "/", so
		// each "/" in it is tried as the end too.
		for term < len(lower) && (term < at || !terminator(lower[term])) {
			term++
		}
		stop := -1
		for j := at + 1; j <= min(term, at+maxID, len(lower)-1); j++ {
			if j == term || lower[j] == '/' {
				if _, ok := ids[lower[at:j]]; ok {
					stop = j
					break
				}
			}
		}
		if stop < 0 {
			continue
		}
		b.WriteString(htmlBody[done:start])
		fmt.Fprintf(&b, "%s/api/v1/message/%d/part/%s", base, id, ids[lower[at:stop]])
		done, at = stop, stop
	}
	if done == 0 {
		return htmlBody
	}
	b.WriteString(htmlBody[done:])
	return b.String()
}

// cidAfterEquals reports whether the "cid:" at s[i:] follows "=", "=\"" or
// "='".
func cidAfterEquals(s string, i int) bool {
	if i > 0 && s[i-1] == '=' {
		return true
	}
	return i > 1 && (s[i-1] == '"' || s[i-1] == '\'') && s[i-2] == '='
}

// asciiLower lower-cases the ASCII letters of s, keeping its length.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// mpInfoOf is GET /api/v1/info.
func mpInfoOf(srv *smtptest.Server, mb *mailbox) mpInfo {
	st := srv.Stats()
	items := mb.list()
	info := mpInfo{Version: version(), LatestVersion: "disabled", Database: "(memory)", Messages: len(items), Tags: map[string]int{}}
	for _, it := range items {
		if !it.read {
			info.Unread++
		}
		info.DatabaseSize += int64(it.summary.Size)
		for _, t := range it.tags {
			info.Tags[t]++
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	info.RuntimeStats.Uptime = int64(time.Since(mb.started).Seconds())
	info.RuntimeStats.Memory = ms.Sys - ms.HeapReleased
	mb.mu.Lock()
	info.RuntimeStats.MessagesDeleted = mb.deleted + mb.evicted + st.DiscardedMessages
	mb.mu.Unlock()
	info.RuntimeStats.SMTPAccepted = st.Messages
	info.RuntimeStats.SMTPAcceptedSize = st.MessageBytes
	info.RuntimeStats.SMTPRejected = st.Rejections
	return info
}

// version names this build: "smtptest v1.2.3", or "smtptest (devel)".
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return "smtptest " + bi.Main.Version
	}
	return "smtptest (devel)"
}

// numbers reads message IDs; those that are not numbers name no message.
func numbers(ids []string) []int {
	var out []int
	for _, s := range ids {
		if n, err := strconv.Atoi(s); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func mpOK(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "ok")
}

// mpError answers 400 with a plain-text message, as Mailpit's API does.
func mpError(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusBadRequest)
	io.WriteString(w, msg)
}

func mpNotFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusNotFound)
	io.WriteString(w, "404 page not found")
}
