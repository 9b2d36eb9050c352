package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// linkChecker fetches a link of a message for the web UI's "Check": what
// it answers, without becoming a way into the network it runs in
// (server-side request forgery). Links to the developer's own apps on
// loopback are the normal case and are fetched; these are not, checked
// on the address actually dialled (after DNS, and again after each
// redirect), so neither a name nor a redirect gets around it:
//
//   - link-local addresses (169.254.0.0/16, fe80::/10), where cloud
//     metadata services answer (169.254.169.254), and shared address
//     space (100.64.0.0/10: Alibaba's metadata at 100.100.100.200);
//   - private addresses (10/8, 172.16/12, 192.168/16, fc00::/7, where
//     AWS's fd00:ec2::254 is), multicast, broadcast and unspecified ones;
//   - the server's own listeners (its SMTP port and its HTTP API) on
//     loopback or any address of this machine.
//
// It never sends the link's user:password (no Basic auth), asks with
// HEAD (a GET only when the server refuses HEAD with 405 or 501, as a
// one-time link would be used up by GET), follows at most 5 redirects,
// reads at most 1 MiB of a body, and gives up after 10 s. No proxy from
// the environment is used: the address dialled is the link's.
type linkChecker struct {
	client   *http.Client     // follows at most 5 redirects
	noFollow *http.Client     // takes the first answer
	own      []netip.AddrPort // the server's listeners; an unspecified address stands for all
	local    func() []netip.Addr
}

// linkTimeout bounds one check.
const linkTimeout = 10 * time.Second

// newLinkChecker refuses the listeners at own ("host:port"; ones that do
// not parse are skipped) besides the kinds of address above.
func newLinkChecker(own ...string) *linkChecker {
	lc := &linkChecker{local: interfaceAddrs}
	for _, a := range own {
		if ap, err := netip.ParseAddrPort(a); err == nil {
			lc.own = append(lc.own, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()))
		}
	}
	dialer := &net.Dialer{
		Timeout: linkTimeout,
		// Control runs before connect(2), on the resolved address: a
		// refused address is never sent a packet.
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("link check: %s is not an address", address)
			}
			return lc.allowed(ap)
		},
	}
	transport := &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		TLSHandshakeTimeout:    linkTimeout,
		ResponseHeaderTimeout:  linkTimeout,
		DisableKeepAlives:      true,
		MaxResponseHeaderBytes: 64 << 10,
	}
	// Mailpit's link check without ?follow: the first answer, a redirect
	// to another host (or this one) is not taken.
	lc.noFollow = &http.Client{
		Timeout:       linkTimeout,
		Transport:     transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	lc.client = &http.Client{
		Timeout:   linkTimeout,
		Transport: transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("more than 5 redirects")
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("a redirect to %s, not http or https", req.URL.Scheme)
			}
			req.URL.User = nil // no Basic auth from a redirect's user:password either
			req.Header.Del("Authorization")
			return nil
		},
	}
	return lc
}

// interfaceAddrs returns this machine's addresses.
func interfaceAddrs() []netip.Addr {
	addrs, _ := net.InterfaceAddrs()
	var out []netip.Addr
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr().Unmap())
		}
	}
	return out
}

// sharedSpace is RFC 6598's shared address space, 100.64.0.0/10.
var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")

// allowed says why ap may not be dialled, or nil.
func (lc *linkChecker) allowed(ap netip.AddrPort) error {
	ip := ap.Addr().Unmap()
	refuse := func(why string) error {
		return fmt.Errorf("refused to connect to %s: %s", netip.AddrPortFrom(ip, ap.Port()), why)
	}
	switch {
	case ip.IsUnspecified():
		return refuse("an unspecified address")
	case ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast():
		return refuse("a link-local address (cloud metadata services answer there)")
	case ip.IsPrivate() || sharedSpace.Contains(ip):
		return refuse("a private address")
	case ip.IsMulticast() || ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return refuse("a multicast or broadcast address")
	}
	for _, o := range lc.own {
		if o.Port() != ap.Port() {
			continue
		}
		if ip == o.Addr() || ip.IsLoopback() || (o.Addr().IsUnspecified() && slices.Contains(lc.local(), ip)) {
			return refuse("this server's own listener")
		}
	}
	return nil
}

// linkResult is what a check found: the status of the last answer (after
// redirects), or why there is none.
type linkResult struct {
	Status int    `json:"status,omitempty"`
	Text   string `json:"text,omitempty"`
	URL    string `json:"url,omitempty"`    // where the last answer came from
	Method string `json:"method,omitempty"` // HEAD, or GET when HEAD was refused
	Error  string `json:"error,omitempty"`
}

// check fetches link (an http or https URL), following redirects.
func (lc *linkChecker) check(ctx context.Context, link string) linkResult {
	return lc.fetch(ctx, link, lc.client)
}

// fetch fetches link with client.
func (lc *linkChecker) fetch(ctx context.Context, link string, client *http.Client) linkResult {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return linkResult{Error: "not an http or https URL"}
	}
	u.User = nil // never sent as Basic auth
	ctx, cancel := context.WithTimeout(ctx, linkTimeout)
	defer cancel()
	res := linkResult{}
	for _, method := range []string{http.MethodHead, http.MethodGet} {
		req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
		if err != nil {
			return linkResult{Error: err.Error()}
		}
		resp, err := client.Do(req)
		if err != nil {
			return linkResult{Error: err.Error()}
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		res = linkResult{Status: resp.StatusCode, Text: resp.Status, URL: resp.Request.URL.String(), Method: method}
		if resp.StatusCode != http.StatusMethodNotAllowed && resp.StatusCode != http.StatusNotImplemented {
			break
		}
	}
	return res
}

// mpLinkCheck answers Mailpit's GET /api/v1/message/{ID}/link-check
// (?follow=true to follow redirects): the http and https links of the
// message (at most mpMaxLinks, each once), each fetched as the UI's check
// fetches one, in Mailpit's LinkCheckResponse. It makes requests to
// other hosts, so like a change of state it is refused to another site's
// page (the guard checks those for GET too).
func mpLinkCheck(mb *mailbox, lc *linkChecker, guard *hostGuard) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if why := guard.foreign(r); why != "" {
			writeError(w, http.StatusForbidden, "cross-site request refused: "+why)
			return
		}
		m, ok := mpMessageOf(w, r, mb, r.PathValue("id"))
		if !ok {
			return
		}
		client := lc.noFollow
		if f := r.URL.Query().Get("follow"); f == "true" || f == "1" {
			client = lc.client
		}
		all, _ := m.Links()
		var links []string
		for _, l := range all {
			if (strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")) && !slices.Contains(links, l) && len(links) < mpMaxLinks {
				links = append(links, l)
			}
		}
		type mpLink struct {
			URL        string
			StatusCode int
			Status     string
		}
		res := struct {
			Errors int
			Links  []mpLink
		}{Links: make([]mpLink, len(links))}
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8) // at most 8 requests at once
		for i, l := range links {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				got := lc.fetch(r.Context(), l, client)
				res.Links[i] = mpLink{URL: l, StatusCode: got.Status, Status: http.StatusText(got.Status)}
				switch {
				case strings.Contains(got.Error, "refused to connect"):
					res.Links[i].StatusCode, res.Links[i].Status = 451, "Blocked private/reserved address" // Mailpit's words
				case got.Error != "":
					res.Links[i].Status = got.Error
				}
			})
		}
		wg.Wait()
		for _, l := range res.Links {
			if l.StatusCode == 0 || l.StatusCode >= 400 {
				res.Errors++
			}
		}
		writeJSON(w, http.StatusOK, res)
	}
}

// mpMaxLinks is how many links a link check fetches, as Mailpit's.
const mpMaxLinks = 100
