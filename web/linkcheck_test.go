package web

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
)

// TestLinkCheckRefuses: addresses inside the network, and the server's
// own listeners, are refused before any packet is sent to them: directly,
// as IPv4-mapped IPv6, and through a redirect from an allowed server.
func TestLinkCheckRefuses(t *testing.T) {
	var mu sync.Mutex
	var seen []string // method, Authorization
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		switch {
		case strings.HasPrefix(r.URL.Path, "/to/"):
			http.Redirect(w, r, "http://"+strings.TrimPrefix(r.URL.Path, "/to/"), http.StatusFound)
		case r.URL.Path == "/no-head" && r.Method == http.MethodHead:
			w.WriteHeader(http.StatusMethodNotAllowed)
		default:
			w.Write([]byte("ok"))
		}
	}))
	defer app.Close()
	// The server's own listeners: one on loopback, one on all addresses.
	smtpAddr := "127.0.0.1:2525"
	lc := newLinkChecker(smtpAddr, "0.0.0.0:8025")
	lc.local = func() []netip.Addr { return []netip.Addr{netip.MustParseAddr("192.0.2.7")} }
	_, appPort, _ := net.SplitHostPort(app.Listener.Addr().String())

	for _, c := range []struct{ link, want string }{
		{app.URL + "/ok", "200 OK"},                                       // the developer's own app on loopback
		{"http://localhost:" + appPort + "/ok", "200 OK"},                 // by name
		{"http://user:secret@127.0.0.1:" + appPort + "/ok", "200 OK"},     // no Basic auth sent (below)
		{app.URL + "/no-head", "200 OK"},                                  // GET when HEAD is refused
		{"http://169.254.169.254/latest/meta-data/", "link-local"},        // AWS, GCP, Azure metadata
		{"http://[fd00:ec2::254]/latest/meta-data/", "private"},           // AWS's IPv6 metadata
		{"http://[::ffff:169.254.169.254]/", "link-local"},                // IPv4-mapped
		{"http://100.100.100.200/", "private"},                            // Alibaba's metadata
		{"http://10.1.2.3/", "private"},                                   //
		{"http://192.168.1.1/", "private"},                                //
		{"http://[fe80::1]/", "link-local"},                               //
		{"http://239.1.2.3/", "multicast"},                                //
		{"http://0.0.0.0:" + appPort + "/", "unspecified"},                //
		{"http://" + smtpAddr + "/", "own listener"},                      // its SMTP port
		{"http://127.0.0.1:8025/api/messages", "own listener"},            // its API, on loopback
		{"http://localhost:8025/api/messages", "own listener"},            //
		{"http://192.0.2.7:8025/api/messages", "own listener"},            // its API, on this machine's address
		{app.URL + "/to/169.254.169.254/latest/meta-data/", "link-local"}, // a redirect
		{app.URL + "/to/127.0.0.1:8025/api/messages", "own listener"},     //
		{"ftp://example.com/", "not an http or https URL"},                //
		{app.URL + "/to/", "no Host"},                                     // a redirect to nowhere
	} {
		r := lc.check(context.Background(), c.link)
		got := r.Text + r.Error
		if !strings.Contains(got, c.want) {
			t.Errorf("check(%s) = %+v; want %q", c.link, r, c.want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, s := range seen {
		if strings.HasPrefix(s, "GET") && s != "GET " {
			t.Errorf("a request carried Authorization: %q", s)
		}
		if strings.Contains(s, "Basic") {
			t.Errorf("a request carried Basic auth: %q", s)
		}
	}
	heads, gets := 0, 0
	for _, s := range seen {
		switch strings.Fields(s)[0] {
		case "HEAD":
			heads++
		case "GET":
			gets++
		}
	}
	if gets != 1 {
		t.Errorf("%d GETs (%q); want one, after the 405 to HEAD", gets, seen)
	}
}
