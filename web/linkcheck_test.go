package web

import (
	"context"
	"fmt"
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

// TestMailpitLinkCheck: GET /api/v1/message/{ID}/link-check in Mailpit's
// shape, redirects taken only with ?follow=true, private addresses
// refused as Mailpit words it, another site's page refused.
func TestMailpitLinkCheck(t *testing.T) {
	remote := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.Write([]byte("ok"))
		case "/moved":
			http.Redirect(w, r, "/ok", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer remote.Close()
	c := mpStart(t)
	msg := "From: a@example.com\r\nTo: b@example.org\r\nSubject: Links\r\nContent-Type: text/html\r\n\r\n" +
		`<a href="` + remote.URL + `/ok">ok</a> <a href="` + remote.URL + `/moved">moved</a> <a href="` + remote.URL + `/gone">gone</a> <a href="http://10.0.0.1/x">lan</a> <a href="mailto:x@example.com">mail</a>` + "\r\n"
	if err := c.p.send("a@example.com", []string{"b@example.org"}, msg); err != nil {
		t.Fatal(err)
	}
	type result struct {
		Errors int
		Links  []struct {
			URL        string
			StatusCode int
			Status     string
		}
	}
	statuses := func(r result) string {
		var out []string
		for _, l := range r.Links {
			out = append(out, fmt.Sprintf("%s %d %s", strings.TrimPrefix(l.URL, remote.URL), l.StatusCode, l.Status))
		}
		return strings.Join(out, "; ")
	}
	var plain, followed result
	c.json("GET", "/api/v1/message/latest/link-check", "", &plain)
	if want := "/ok 200 OK; /moved 302 Found; /gone 404 Not Found; http://10.0.0.1/x 451 Blocked private/reserved address"; statuses(plain) != want || plain.Errors != 2 {
		t.Errorf("link-check: %d errors, %s; want 2, %s", plain.Errors, statuses(plain), want)
	}
	c.json("GET", "/api/v1/message/latest/link-check?follow=true", "", &followed)
	if !strings.Contains(statuses(followed), "/moved 200 OK") {
		t.Errorf("link-check?follow=true: %s", statuses(followed))
	}
	if code, _, _ := c.do("GET", "/api/v1/message/latest/link-check", "", "Origin", "https://evil.example"); code != http.StatusForbidden {
		t.Errorf("from another site's page: %d", code)
	}
	if code, _, _ := c.do("GET", "/api/v1/message/999/link-check", ""); code != http.StatusNotFound {
		t.Errorf("an unknown message: %d", code)
	}
}
