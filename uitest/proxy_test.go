package uitest

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"
)

// recorder is an HTTP server on 127.0.0.1 that records the paths asked of
// it and wakes whoever waits for one. In front of cmd/smtptest (a reverse
// proxy) it sees every request the page and its frames make, whatever
// process Chromium runs a frame in; as a "remote" site it sees what the
// message's HTML fetches from elsewhere.
type recorder struct {
	*httptest.Server
	mu      sync.Mutex
	hits    map[string]int   // by path
	changed chan struct{}    // closed and replaced on every hit
	holds   map[string]*held // by path: the next answer is held
}

// held is an answer the recorder keeps from the browser for a while.
type held struct {
	arrived chan struct{} // closed when the answer is made and held
	release chan struct{} // closed to let it go
}

// newRecorder serves h (nil: 200 "ok" to everything) and records.
func newRecorder(t *testing.T, h http.Handler) *recorder {
	r := &recorder{hits: map[string]int{}, changed: make(chan struct{}), holds: map[string]*held{}}
	if h == nil {
		h = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })
	}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.hits[req.URL.Path]++
		close(r.changed)
		r.changed = make(chan struct{})
		hd := r.holds[req.URL.Path]
		delete(r.holds, req.URL.Path)
		r.mu.Unlock()
		if hd == nil {
			h.ServeHTTP(w, req)
			return
		}
		// The server answers now; the browser gets it on release.
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		close(hd.arrived)
		<-hd.release
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(r.Close)
	return r
}

// proxyTo makes a recorder that forwards to target, keeping the Host the
// browser named (so the server's Origin check sees its own origin).
func proxyTo(t *testing.T, target string) *recorder {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = pr.In.Host
		},
		FlushInterval: -1, // the event stream goes through at once
	}
	return newRecorder(t, rp)
}

// hold keeps the next answer to path from the browser: the server answers
// when asked (what it says is fixed then), the browser gets that answer
// when release is called. wait waits until the answer is made and held.
// Cleanup releases it, should the test end first.
func (r *recorder) hold(t *testing.T, path string) (wait func(), release func()) {
	hd := &held{arrived: make(chan struct{}), release: make(chan struct{})}
	r.mu.Lock()
	r.holds[path] = hd
	r.mu.Unlock()
	var once sync.Once
	release = func() { once.Do(func() { close(hd.release) }) }
	t.Cleanup(release)
	wait = func() {
		t.Helper()
		select {
		case <-hd.arrived:
		case <-time.After(bound):
			t.Fatalf("%s was not asked for", path)
		}
	}
	return wait, release
}

// count returns how often path was asked for.
func (r *recorder) count(path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits[path]
}

// wait waits until path was asked for n times.
func (r *recorder) wait(t *testing.T, path string, n int) {
	t.Helper()
	deadline := time.After(bound)
	for {
		r.mu.Lock()
		got, changed := r.hits[path], r.changed
		r.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("%s was asked for %d times, want %d", path, got, n)
		}
	}
}

// crossing makes an answer cross what else happens: ask makes the page
// ask for path, whose answer is held while meanwhile runs, then let go;
// crossing returns once busy (the element aria-busy while the page waits)
// is no longer busy, so the page has dealt with the late answer.
func crossing(t *testing.T, b *browser, web *recorder, path string, ask, meanwhile func(), busy string) {
	t.Helper()
	wait, release := web.hold(t, path)
	ask()
	wait()
	meanwhile()
	release()
	b.do(t, waitCount(busy+"[aria-busy]", 0))
}
