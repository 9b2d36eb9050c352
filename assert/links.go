package assert

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/smtptest/smtptest"
)

// Follow says where [LinksWork] and [OneClickUnsubscribe] send the
// requests a reader's click would make: in process, to the application's
// own handlers, so that no test goes to the network.
type Follow struct {
	// Hosts maps a host, as the link names it ("app.example",
	// "app.example:8443"), to the handler that serves it: the mail's
	// https://app.example/verify goes to the handler under test.
	Hosts map[string]http.Handler
	// Handler serves every host Hosts does not name; nil: none.
	Handler http.Handler
	// Client, if not nil, fetches what no handler serves (a server the
	// test started, on loopback). Links no handler serves and no Client
	// fetches are not followed: they are logged, and pass.
	Client *http.Client
}

// maxFollowBody is how much of an answer a report quotes.
const maxFollowBody = 200

// do sends a request where f says (a form body if form is not ""), and
// returns the status and the head of the body; served is false when
// nothing in f serves target's host.
func (f Follow) do(method, target, form string) (status int, body string, served bool, err error) {
	u, err := url.Parse(target)
	if err != nil {
		return 0, "", true, err
	}
	h := f.Hosts[u.Host]
	if h == nil {
		h = f.Hosts[u.Hostname()]
	}
	if h == nil {
		h = f.Handler
	}
	var req *http.Request
	if h != nil {
		req = httptest.NewRequest(method, target, strings.NewReader(form))
	} else if f.Client != nil {
		if req, err = http.NewRequest(method, target, strings.NewReader(form)); err != nil {
			return 0, "", true, err
		}
	} else {
		return 0, "", false, nil
	}
	if form != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if h != nil {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, head(rec.Body.String()), true, nil
	}
	resp, err := f.Client.Do(req)
	if err != nil {
		return 0, "", true, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxFollowBody+1))
	return resp.StatusCode, head(string(b)), true, nil
}

func head(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > maxFollowBody {
		return s[:maxFollowBody] + "..."
	}
	return s
}

// LinksWork follows every http and https link of every message the
// server received ([smtptest.Message.Links]: the text's URLs, the HTML's
// hrefs and image srcs) where f says, with GET, and fails the test
// (Errorf) for each that answers 4xx or 5xx or cannot be fetched, naming
// the message, the link and the answer. A 2xx or 3xx answer passes (a
// redirect is a working link). Links to hosts nothing in f serves are
// logged as not followed.
func LinksWork(t testing.TB, srv *smtptest.Server, f Follow) bool {
	t.Helper()
	return Checker{}.LinksWork(t, srv, f)
}

// LinksWork is [LinksWork] on the messages in c's scope ([To], [Where]),
// with c's wait.
func (c Checker) LinksWork(t testing.TB, srv *smtptest.Server, f Follow) bool {
	t.Helper()
	msgs := c.messages(srv, 1)
	if len(msgs) == 0 {
		t.Errorf("assert.LinksWork: no message to follow links of")
		return false
	}
	ok := true
	var skipped []string
	for i, m := range msgs {
		links, err := m.Links()
		if err != nil {
			t.Errorf("assert.LinksWork: message %d (%s): its links cannot be read: %v", i+1, m, err)
			ok = false
		}
		for _, link := range links {
			u, err := url.Parse(link)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
				continue
			}
			status, body, served, err := f.do(http.MethodGet, link, "")
			switch {
			case !served:
				skipped = append(skipped, link)
			case err != nil:
				t.Errorf("assert.LinksWork: message %d (%s): %s: %v", i+1, m, link, err)
				ok = false
			case status >= 400:
				t.Errorf("assert.LinksWork: message %d (%s): %s answered %d %s: %q", i+1, m, link, status, http.StatusText(status), body)
				ok = false
			}
		}
	}
	if len(skipped) > 0 {
		t.Logf("assert.LinksWork: not followed (no handler or client for their hosts): %s", strings.Join(skipped, ", "))
	}
	return ok
}

// OneClickUnsubscribe proves RFC 8058 one-click unsubscription for every
// message the server received: it POSTs "List-Unsubscribe=One-Click"
// (application/x-www-form-urlencoded, RFC 8058 3.2) to the https URI of
// its List-Unsubscribe field where f says, and fails the test (Errorf)
// unless the answer is 2xx, naming the message, the URI and the answer.
// A message without List-Unsubscribe, without List-Unsubscribe-Post:
// List-Unsubscribe=One-Click, or with only mailto: URIs fails with that
// said. To prove the app honours it, send again and check with
// [Checker.NoMail] and [To] that the recipient gets nothing.
func OneClickUnsubscribe(t testing.TB, srv *smtptest.Server, f Follow) bool {
	t.Helper()
	return Checker{}.OneClickUnsubscribe(t, srv, f)
}

// OneClickUnsubscribe is [OneClickUnsubscribe] on the messages in c's
// scope, with c's wait.
func (c Checker) OneClickUnsubscribe(t testing.TB, srv *smtptest.Server, f Follow) bool {
	t.Helper()
	msgs := c.messages(srv, 1)
	if len(msgs) == 0 {
		t.Errorf("assert.OneClickUnsubscribe: no message to unsubscribe from")
		return false
	}
	ok := true
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("assert.OneClickUnsubscribe: "+format, args...)
		ok = false
	}
	for i, m := range msgs {
		h, err := m.Header()
		if err != nil {
			fail("message %d (%s): its header cannot be read: %v", i+1, m, err)
			continue
		}
		lu := h.Get("List-Unsubscribe")
		if lu == "" {
			fail("message %d (%s) has no List-Unsubscribe", i+1, m)
			continue
		}
		if post := strings.TrimSpace(h.Get("List-Unsubscribe-Post")); post != "List-Unsubscribe=One-Click" {
			fail("message %d (%s) has List-Unsubscribe-Post %q, not List-Unsubscribe=One-Click: mail clients offer no one-click unsubscription (RFC 8058 3.1)", i+1, m, post)
			continue
		}
		var target string
		var others []string
		for _, u := range unsubscribeURIs(lu) {
			if strings.HasPrefix(strings.ToLower(u), "https:") && target == "" {
				target = u
			} else {
				others = append(others, u)
			}
		}
		if target == "" {
			fail("message %d (%s): List-Unsubscribe has no https URI (%s): one-click needs one (RFC 8058 3.1); mailto: alone is not one-click", i+1, m, strings.Join(others, ", "))
			continue
		}
		status, body, served, err := f.do(http.MethodPost, target, "List-Unsubscribe=One-Click")
		switch {
		case !served:
			fail("message %d (%s): nothing in Follow serves %s", i+1, m, target)
		case err != nil:
			fail("message %d (%s): POST %s: %v", i+1, m, target, err)
		case status < 200 || status > 299:
			fail("message %d (%s): POST %s List-Unsubscribe=One-Click answered %d %s: %q (RFC 8058 wants 2xx, no redirect, no page to click)", i+1, m, target, status, http.StatusText(status), body)
		}
	}
	return ok
}

// unsubscribeURIs reads the <URI>s of a List-Unsubscribe value, in order
// (RFC 2369: comma-separated, in angle brackets; comments skipped).
func unsubscribeURIs(v string) []string {
	var out []string
	for {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			return out
		}
		out = append(out, strings.Join(strings.Fields(v[i+1:i+j]), ""))
		v = v[i+j+1:]
	}
}
