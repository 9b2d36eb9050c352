package web

import (
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// hostGuard refuses the HTTP requests a web page the developer happens to
// open could make to the API: any request whose Host is not this server
// (DNS rebinding: evil.example resolving to 127.0.0.1), and any request
// that changes state coming from another site (a form or fetch posting to
// localhost needs no CORS preflight with Content-Type text/plain). Reads
// from another origin are not refused here: browsers do not let the page
// see the answer, as the API sends no CORS headers.
type hostGuard struct {
	listen     string          // the address the API listens on
	names      map[string]bool // host names and addresses that are this server
	anyAddress bool            // listening on all interfaces: any IP address is
}

// newHostGuard allows the loopback names and the host of the address the
// API listens on.
func newHostGuard(listen string) *hostGuard {
	g := &hostGuard{listen: listen, names: map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		host = listen
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsUnspecified() || host == "" {
		g.anyAddress = true
	} else {
		g.names[strings.ToLower(host)] = true
	}
	return g
}

// allowed reports whether hostport (a Host header or an origin's host)
// names this server.
func (g *hostGuard) allowed(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if g.names[host] || strings.HasSuffix(host, ".localhost") { // RFC 6761 6.3
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && (ip.IsLoopback() || g.anyAddress) // an address cannot be rebound
}

// Guard refuses the requests a web page could make to h behind the
// developer's back: a request whose Host is neither addr (the address h
// is served on) nor a loopback name or address (DNS rebinding), and a
// request that changes state coming from another site (a form posting
// to localhost). A [Site] guards itself; wrap what is served beside one
// with Guard (cmd/smtptest's sandbox API).
func Guard(addr string, h http.Handler) http.Handler { return newHostGuard(addr).wrap(h) }

func (g *hostGuard) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.allowed(r.Host) {
			writeError(w, http.StatusForbidden, fmt.Sprintf("Host %q is not this server: requests must name it by a loopback name or address, or the address it listens on (a web page may be trying DNS rebinding)", r.Host))
			return
		}
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			if why := g.foreign(r); why != "" {
				writeError(w, http.StatusForbidden, "cross-site request refused: "+why)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// foreign says why a state-changing request comes from another site, or
// returns "".
func (g *hostGuard) foreign(r *http.Request) string {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		// same-site: a page of another port of this host (another
		// local server) is another origin all the same.
		return "Sec-Fetch-Site: " + r.Header.Get("Sec-Fetch-Site")
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return "" // not from a browser page (curl, a test client)
	}
	// The page must come from the very host and port the request names
	// (which wrap checked is this server): a loopback name is not
	// enough, other local servers have them too.
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !strings.EqualFold(u.Host, r.Host) {
		return fmt.Sprintf("Origin %q is not this server", origin)
	}
	return ""
}

// untrustedPolicy goes with every response whose body comes from a mail
// as it is (the raw message, a part, an attachment): should a browser
// render it — an HTML attachment opened by its URL, say — it runs no
// script and loads nothing, in an origin of its own, so it cannot use
// this API as the page's own.
const untrustedPolicy = "sandbox; default-src 'none'"

// untrusted marks a response whose body is mail content.
func untrusted(w http.ResponseWriter) {
	w.Header().Set("Content-Security-Policy", untrustedPolicy)
	w.Header().Set("X-Content-Type-Options", "nosniff")
}

// contentDisposition is a Content-Disposition of kind ("attachment",
// "inline") for a download named name. A name that is not plain ASCII
// goes out twice (RFC 6266 4.3): as filename*= in UTF-8 (RFC 8187), which
// browsers and curl -J read, and as a plain ASCII filename= fallback with
// the other characters as "_", for the clients that know only that one
// (curl -OJ saved "1" without it).
func contentDisposition(kind, name string) string {
	if name == "" {
		return kind
	}
	plain := mime.FormatMediaType(kind, map[string]string{"filename": name})
	if !strings.Contains(plain, "filename*=") {
		return plain
	}
	fallback := strings.Map(func(r rune) rune {
		if r < 0x20 || r >= 0x7f || r == '"' || r == '\\' || r == '/' {
			return '_'
		}
		return r
	}, name)
	// The fallback first, as RFC 6266 4.3 suggests: a client that reads
	// one of them takes the first.
	return mime.FormatMediaType(kind, map[string]string{"filename": fallback}) + "; " + plain[len(kind)+len("; "):]
}
