package assert_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/smtptest/smtptest/assert"
)

// app is the application under test as the mails' links reach it: a
// verification page, an unsubscribe endpoint that wants RFC 8058's POST,
// and a page that is gone.
func app() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /verify", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("verified")) })
	mux.HandleFunc("GET /old", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/verify", http.StatusFound) })
	mux.HandleFunc("POST /unsubscribe", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.FormValue("List-Unsubscribe") != "One-Click" {
			http.Error(w, "not a one-click POST", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /unsubscribe-page", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/confirm", http.StatusSeeOther) // a page to click: not one-click
	})
	return mux
}

const linkHead = "From: App <app@example.com>\r\nTo: ann@example.org\r\nSubject: Welcome\r\nDate: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n"

func TestLinksWork(t *testing.T) {
	good := linkHead + "\r\nVerify: https://app.example/verify\r\nOld: https://app.example/old\r\nElsewhere: https://www.other.example.org/x\r\n"
	srv := server(t, [3]string{"app@example.com", "ann@example.org", good})
	follow := assert.Follow{Hosts: map[string]http.Handler{"app.example": app()}}
	ok, text := check(t, func(tb testing.TB) bool { return assert.LinksWork(tb, srv, follow) })
	if !ok || !strings.Contains(text, "not followed") || !strings.Contains(text, "www.other.example.org") {
		t.Errorf("good links: %v %s", ok, text)
	}
	broken := linkHead + "\r\nVerify: https://app.example/verifyy\r\n"
	srv = server(t, [3]string{"app@example.com", "ann@example.org", broken})
	ok, text = check(t, func(tb testing.TB) bool { return assert.LinksWork(tb, srv, follow) })
	if ok || !strings.Contains(text, "https://app.example/verifyy answered 404") || !strings.Contains(text, `subject "Welcome"`) {
		t.Errorf("a broken link: %v %s", ok, text)
	}
	// Through a client, to a server on loopback.
	hs := httptest.NewServer(app())
	defer hs.Close()
	srv = server(t, [3]string{"app@example.com", "ann@example.org", linkHead + "\r\nVerify: " + hs.URL + "/verify\r\nGone: " + hs.URL + "/gone\r\n"})
	ok, text = check(t, func(tb testing.TB) bool { return assert.LinksWork(tb, srv, assert.Follow{Client: hs.Client()}) })
	if ok || !strings.Contains(text, hs.URL+"/gone answered 404") || strings.Contains(text, "/verify answered") {
		t.Errorf("through a client: %v %s", ok, text)
	}
}

func TestOneClickUnsubscribe(t *testing.T) {
	follow := assert.Follow{Handler: app()}
	for _, c := range []struct {
		fields, want string // want "" passes
	}{
		{"List-Unsubscribe: <mailto:u@app.example>, <https://app.example/unsubscribe?u=1>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", ""},
		{"", "has no List-Unsubscribe"},
		{"List-Unsubscribe: <https://app.example/unsubscribe?u=1>\r\n", "not List-Unsubscribe=One-Click"},
		{"List-Unsubscribe: <mailto:u@app.example>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", "no https URI (mailto:u@app.example)"},
		{"List-Unsubscribe: <https://app.example/unsubscribe-page>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", "answered 303 See Other"},
		{"List-Unsubscribe: <https://app.example/nope>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", "answered 404"},
	} {
		srv := server(t, [3]string{"app@example.com", "ann@example.org", linkHead + c.fields + "\r\nNews.\r\n"})
		ok, text := check(t, func(tb testing.TB) bool { return assert.OneClickUnsubscribe(tb, srv, follow) })
		if ok != (c.want == "") || !strings.Contains(text, c.want) {
			t.Errorf("%q: %v %s; want %q", c.fields, ok, text, c.want)
		}
	}
}

func TestClientSupport(t *testing.T) {
	html := "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nHi https://app.example/\r\n" +
		"--b\r\nContent-Type: text/html\r\n\r\n<html lang=\"en\"><body><div style=\"display:flex\"><a href=\"https://app.example/\">Hi</a> " + strings.Repeat("words ", 30) + "</div></body></html>\r\n--b--\r\n"
	srv := server(t, [3]string{"app@example.com", "ann@example.org", linkHead + html})
	ok, text := check(t, func(tb testing.TB) bool { return assert.ClientSupport(tb, srv, "outlook.windows") })
	if ok || !strings.Contains(text, "display:flex is not supported by Outlook Windows") || !strings.Contains(text, "caniemail.com/features/css-display-flex") {
		t.Errorf("flexbox for Outlook: %v %s", ok, text)
	}
	wantPass(t, func(tb testing.TB) bool { return assert.ClientSupport(tb, srv, "apple-mail") })
}
