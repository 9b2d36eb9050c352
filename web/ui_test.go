package web

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestHubNeverBlocks(t *testing.T) {
	h := newHub()
	s, closeStream, _ := h.subscribe()
	for i := range streamBuffer + 50 { // nobody reads
		h.publish(hubEvent{name: "message", id: i})
	}
	if !s.lagged.Load() {
		t.Error("a stream that fell behind is not marked")
	}
	if len(s.events) != streamBuffer {
		t.Errorf("%d events buffered, want %d", len(s.events), streamBuffer)
	}
	closeStream()
	closeStream() // twice is harmless
	select {
	case <-s.done:
	default:
		t.Error("closing did not end the stream")
	}
	h.close()
	late, _, _ := h.subscribe()
	select {
	case <-late.done:
	default:
		t.Error("a stream opened after close is not ended")
	}
	h.publish(hubEvent{name: "faults"}) // no streams: returns
}

// TestHubBounds: at most maxStreams streams, and a message event is
// encoded once for all of them.
func TestHubBounds(t *testing.T) {
	h := newHub()
	var closers []func()
	for range maxStreams {
		_, c, err := h.subscribe()
		if err != nil {
			t.Fatal(err)
		}
		closers = append(closers, c)
	}
	if _, _, err := h.subscribe(); err != errTooManyStreams {
		t.Errorf("stream %d: %v; want errTooManyStreams", maxStreams+1, err)
	}
	closers[0]()
	if _, _, err := h.subscribe(); err != nil {
		t.Errorf("after one closed: %v", err)
	}
	var encodes atomic.Int32
	ev := hubEvent{name: "message", id: 1, enc: new(encoded)}
	var wg sync.WaitGroup
	for range maxStreams {
		wg.Go(func() {
			data, ok := ev.enc.get(func() ([]byte, bool) { encodes.Add(1); return []byte("{}"), true })
			if !ok || string(data) != "{}" {
				t.Errorf("get = %s, %v", data, ok)
			}
		})
	}
	wg.Wait()
	if encodes.Load() != 1 {
		t.Errorf("encoded %d times for %d streams; want once", encodes.Load(), maxStreams)
	}
}

func TestUIPagesAndTheirPolicies(t *testing.T) {
	srv, h := apiServer(t)
	remote := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/gone" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer remote.Close()
	msg := "From: App <app@example.com>\r\nTo: ann@example.org\r\nSubject: Links\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=r\r\n\r\n" +
		"--r\r\nContent-Type: text/html\r\n\r\n<p>Hi</p><img src=\"cid:logo@x\"><a href=\"" + remote.URL + "/ok\">ok</a> <a href=\"" + remote.URL + "/gone\">gone</a>\r\n" +
		"--r\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\n\r\nPNG\r\n--r--\r\n"
	if err := smtp.SendMail(srv.Addr(), nil, "app@example.com", []string{"ann@example.org"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	page := func(method, path string, header http.Header, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Host = "127.0.0.1:8025"
		for k, v := range header {
			req.Header[k] = v
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for _, c := range []struct {
		path, csp, body string
		code            int
	}{
		{"/", uiPolicy, `<script type="module" src="ui/app.js">`, 200}, // relative: the Site may be mounted under a path
		{"/ui/app.js", uiPolicy, "EventSource", 200},
		{"/ui/app.css", uiPolicy, "prefers-color-scheme: dark", 200},
		{"/ui/nope.js", "", "404", 404},
		{"/api/ui/messages/1/render", renderPolicy, `<base target="_blank"><p>Hi</p><img src="/api/v1/message/1/part/2">`, 200},
		{"/api/ui/messages/1/render?remote=1", renderPolicyRemote, "<p>Hi</p>", 200},
		{"/api/ui/messages/9/render", "", "no message 9", 404},
	} {
		rec := page("GET", c.path, nil, "")
		if rec.Code != c.code || !strings.Contains(rec.Body.String(), c.body) || (c.csp != "" && rec.Header().Get("Content-Security-Policy") != c.csp) {
			t.Errorf("GET %s: %d %q CSP %q", c.path, rec.Code, rec.Body.String(), rec.Header().Get("Content-Security-Policy"))
		}
	}
	// Mounted under a path, what the Site writes into a page names it.
	mounted := http.StripPrefix("/sandboxes/x1", h)
	req := httptest.NewRequest("GET", "/sandboxes/x1/api/ui/messages/1/render", nil)
	req.Host = "127.0.0.1:8025"
	rec := httptest.NewRecorder()
	mounted.ServeHTTP(rec, req)
	if !strings.Contains(rec.Body.String(), `<img src="/sandboxes/x1/api/v1/message/1/part/2">`) {
		t.Errorf("mounted under /sandboxes/x1: %d %q", rec.Code, rec.Body.String())
	}
	for _, p := range []string{renderPolicy, renderPolicyRemote} {
		if !strings.HasPrefix(p, "sandbox ") || strings.Contains(p, "allow-scripts") || strings.Contains(p, "allow-same-origin") {
			t.Errorf("the message's HTML could run script: %q", p)
		}
	}
	if strings.Contains(uiPolicy, "unsafe") || !strings.Contains(uiPolicy, "script-src 'self'") {
		t.Errorf("the UI's policy %q", uiPolicy)
	}

	var list []uiItem
	if err := json.Unmarshal(page("GET", "/api/ui/messages", nil, "").Body.Bytes(), &list); err != nil || len(list) != 1 || list[0].From != "App <app@example.com>" || list[0].Subject != "Links" {
		t.Errorf("list: %+v %v", list, err)
	}
	var d uiDetail
	if err := json.Unmarshal(page("GET", "/api/ui/messages/1", nil, "").Body.Bytes(), &d); err != nil || !d.HasHTML || len(d.Links) != 2 || len(d.Parts) != 1 || d.Parts[0].PartID != "2" {
		t.Errorf("detail: %+v %v", d, err)
	}
	// Links are checked only if they are the message's.
	for _, c := range []struct{ url, want string }{
		{remote.URL + "/ok", `"status": 200`},
		{remote.URL + "/gone", `"status": 404`},
	} {
		if rec := page("POST", "/api/ui/messages/1/links/check", nil, fmt.Sprintf(`{"url": %q}`, c.url)); rec.Code != 200 || !strings.Contains(rec.Body.String(), c.want) {
			t.Errorf("check %s: %d %s", c.url, rec.Code, rec.Body)
		}
	}
	for _, body := range []string{`{"url": "http://127.0.0.1:1/elsewhere"}`, `{"url": "mailto:a@example.com"}`, `nonsense`} {
		if rec := page("POST", "/api/ui/messages/1/links/check", nil, body); rec.Code != 400 {
			t.Errorf("check %s: %d %s", body, rec.Code, rec.Body)
		}
	}
	if rec := page("POST", "/api/ui/messages/1/links/check", http.Header{"Origin": {"http://127.0.0.1:3000"}}, fmt.Sprintf(`{"url": %q}`, remote.URL+"/ok")); rec.Code != 403 {
		t.Errorf("a link check from another origin: %d", rec.Code)
	}
	if rec := page("GET", "/api/ui/messages/1/transcript", nil, ""); !strings.Contains(rec.Body.String(), "MAIL FROM:<app@example.com>") {
		t.Errorf("transcript: %s", rec.Body)
	}

	// Mail content served as it is — an HTML attachment opened by its
	// URL, say — runs nothing in this origin.
	evil := "From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
		"--b\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename=evil.html\r\n\r\n<script>fetch('/api/v1/messages',{method:'DELETE'})</script>\r\n--b--\r\n"
	if err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte(evil)); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/message/2/part/2", "/api/messages/2/attachments/1", "/api/v1/message/2/raw", "/api/messages/2/raw"} {
		rec := page("GET", path, nil, "")
		if rec.Code != 200 || rec.Header().Get("Content-Security-Policy") != untrustedPolicy || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: %d, CSP %q", path, rec.Code, rec.Header().Get("Content-Security-Policy"))
		}
	}
}

// TestUIStream reads the event stream while mail arrives, is refused
// and deleted, and faults change; then closing the Site ends it (cmd's
// TestShutdownEndsUIStreams: it must not hold up a shutdown).
func TestUIStream(t *testing.T) {
	p := start(t)
	if err := p.site.AddFault("rcpt *@bad.example reply 550 No"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(p.api + "/api/ui/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	events := make(chan [2]string, 100)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		var name string
		for sc.Scan() {
			line := sc.Text()
			if n, ok := strings.CutPrefix(line, "event: "); ok {
				name = n
			} else if d, ok := strings.CutPrefix(line, "data: "); ok {
				events <- [2]string{name, d}
			}
		}
	}()
	next := func(want string) string {
		t.Helper()
		for ev := range events {
			if ev[0] == want {
				return ev[1]
			}
			if ev[0] != "connection" && ev[0] != "rejection" { // those come with what the test does too
				t.Errorf("event %s %s before %s", ev[0], ev[1], want)
			}
		}
		t.Fatalf("the stream ended before %s", want)
		return ""
	}
	next("hello")
	if err := p.send("app@example.com", []string{"ann@example.org"}, msg); err != nil {
		t.Fatal(err)
	}
	var it uiItem
	if err := json.Unmarshal([]byte(next("message")), &it); err != nil || it.ID != 1 || it.Subject != "Hello" {
		t.Errorf("message event: %+v %v", it, err)
	}
	next("connection")
	p.send("app@example.com", []string{"eve@bad.example"}, msg)
	if d := next("rejection"); !strings.Contains(d, "eve@bad.example") || !strings.Contains(d, `"code":550`) {
		t.Errorf("rejection event %s", d)
	}
	next("connection")
	req, _ := http.NewRequest("DELETE", p.api+"/api/faults", nil)
	if _, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	next("faults")
	req, _ = http.NewRequest("DELETE", p.api+"/api/v1/messages", strings.NewReader(`{"IDs":["1"]}`))
	if _, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	if d := next("deleted"); d != `{"ids":[1]}` {
		t.Errorf("deleted event %s", d)
	}
	// Forgetting everything (refusals too) has the page reload.
	req, _ = http.NewRequest("DELETE", p.api+"/api/messages", nil)
	if _, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	if d := next("deleted"); d != `{"all":true}` {
		t.Errorf("deleted event %s", d)
	}
	next("resync")
	p.stop()
	for range events { // the stream ends
	}
}
