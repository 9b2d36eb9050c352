package web

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/smtptest/smtptest"
)

// TestCleanTag: Mailpit's CleanTag and its dedupe, row by row.
func TestCleanTag(t *testing.T) {
	for in, want := range map[string]string{
		"invoice":                       "invoice",
		"  Urgent  ":                    "Urgent",
		"a/b#c":                         "a b c",
		"two   spaces\tand\ttabs":       "two spaces and tabs",
		"ok-_.@chars":                   "ok-_.@chars",
		"café":                          "caf",
		"!!!":                           "",
		strings.Repeat("x", 120):        strings.Repeat("x", 100),
		strings.Repeat("x", 99) + " yz": strings.Repeat("x", 99),
	} {
		if got := cleanTag(in); got != want {
			t.Errorf("cleanTag(%q) = %q; want %q", in, got, want)
		}
	}
	if got := tagSet([]string{"b", "A", " a ", "B", "", "c/"}); !slices.Equal(got, []string{"A", "b", "c"}) {
		t.Errorf("tagSet = %q; want A b c (first spelling, sorted without case)", got)
	}
	for addr, want := range map[string][]string{
		"ann+signup@example.org":  {"signup"},
		"ann+a+b@example.org":     {"a", "b"},
		"+lead@example.org":       {"lead"},
		"ann@example.org":         nil,
		"ann+x@sub+y@example.org": {"x"},
	} {
		if got := plusTags(addr); !slices.Equal(got, want) {
			t.Errorf("plusTags(%q) = %q; want %q", addr, got, want)
		}
	}
}

// TestTags: tags as Mailpit makes them on arrival, listed, searched,
// set, renamed and deleted through its API, with its answers.
func TestTags(t *testing.T) {
	c := mpStart(t, smtptest.Users(map[string]string{"app": "secret"}))
	p := c.p
	tagged := "From: App <app+Mailer@example.com>\r\nTo: ann+signup@example.org\r\nX-Tags: Invoice, urgent, INVOICE, b@d/tag\r\nSubject: Tagged\r\n\r\nx\r\n"
	if err := p.send("app@example.com", []string{"ann+signup@example.org", "bob+lead+vip@example.org"}, tagged); err != nil {
		t.Fatal(err)
	}
	tags := func() []string {
		var got []string
		c.json("GET", "/api/v1/tags", "", &got)
		return got
	}
	// mpStart's three messages have none; the fourth has these.
	want := []string{"b@d tag", "Invoice", "lead", "Mailer", "signup", "urgent", "vip"}
	if got := tags(); !slices.Equal(got, want) {
		t.Errorf("GET /api/v1/tags = %q; want %q", got, want)
	}
	var l mpList
	c.json("GET", "/api/v1/messages", "", &l)
	if !slices.Equal(l.Messages[0].Tags, want) || len(l.Messages[1].Tags) != 0 || !slices.Equal(l.Tags, want) {
		t.Errorf("list: %q, %q; list tags %q", l.Messages[0].Tags, l.Messages[1].Tags, l.Tags)
	}
	id := l.Messages[0].ID
	for q, n := range map[string]int{"tag:invoice": 1, "tag:INVOICE": 1, "-tag:invoice": 3, "is:tagged": 1, `tag:"b@d tag"`: 1, "tag:nope": 0} {
		var s mpList
		c.json("GET", "/api/v1/search?query="+urlq(q), "", &s)
		if s.MessagesCount != n {
			t.Errorf("search %s: %d; want %d", q, s.MessagesCount, n)
		}
	}
	var info mpInfo
	c.json("GET", "/api/v1/info", "", &info)
	if info.Tags["Invoice"] != 1 || len(info.Tags) != len(want) {
		t.Errorf("info tags %v", info.Tags)
	}

	// Set: replaces; an existing tag keeps its spelling.
	c.ok("PUT", "/api/v1/tags", `{"IDs": ["`+id+`", "1", "999"], "Tags": ["invoice", "Paid", "paid"]}`)
	if got := tags(); !slices.Equal(got, []string{"Invoice", "Paid"}) {
		t.Errorf("after PUT: %q", got)
	}
	var m mpMessage
	c.json("GET", "/api/v1/message/1", "", &m)
	if !slices.Equal(m.Tags, []string{"Invoice", "Paid"}) {
		t.Errorf("message 1 tags %q", m.Tags)
	}
	// Rename, and Mailpit's 400s.
	c.ok("PUT", "/api/v1/tags/Paid", `{"Name": "Settled"}`)
	for _, r := range []struct{ method, path, body, want string }{
		{"PUT", "/api/v1/tags/Settled", `{"Name": "invoice"}`, "tag already exists: invoice"},
		{"PUT", "/api/v1/tags/Nope", `{"Name": "Other"}`, "tag not found: Nope"},
		{"PUT", "/api/v1/tags/Settled", `{"Name": "!!"}`, "invalid tag name"},
		{"DELETE", "/api/v1/tags/Nope", "", "tag not found: Nope"},
		{"PUT", "/api/v1/tags", `{"IDs": [`, "unexpected EOF"},
	} {
		if code, body, _ := c.do(r.method, r.path, r.body); code != http.StatusBadRequest || !strings.Contains(body, r.want) {
			t.Errorf("%s %s %s: %d %q; want 400 %q", r.method, r.path, r.body, code, body, r.want)
		}
	}
	c.ok("PUT", "/api/v1/tags/Settled", `{"Name": "settled"}`) // its case alone
	if got := tags(); !slices.Equal(got, []string{"Invoice", "settled"}) {
		t.Errorf("after renames: %q", got)
	}
	c.ok("DELETE", "/api/v1/tags/INVOICE", "")
	if got := tags(); !slices.Equal(got, []string{"settled"}) {
		t.Errorf("after DELETE: %q", got)
	}
	c.ok("PUT", "/api/v1/tags", `{"IDs": ["1", "`+id+`"], "Tags": []}`)
	if got := tags(); len(got) != 0 {
		t.Errorf("after removing all: %q", got)
	}
}

// TestTagging: Options.Tags turns Mailpit's sources off, and the AUTH
// user on.
func TestTagging(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.Users(map[string]string{"app": "secret"}))
	h := Handler(srv, &Options{Addr: "127.0.0.1:8025", Tags: Tagging{NoXTags: true, NoPlusAddresses: true, Username: true}})
	t.Cleanup(h.Close)
	msg := "From: app+x@example.com\r\nTo: ann+signup@example.org\r\nX-Tags: invoice\r\nSubject: T\r\n\r\nx\r\n"
	p := &proc{srv: srv, addr: srv.Addr()}
	if err := p.sendAuth("app", "secret", "app@example.com", []string{"ann+signup@example.org"}, msg); err != nil {
		t.Fatal(err)
	}
	code, body := get(h, "GET", "/api/v1/tags", nil, "")
	if code != 200 || strings.Join(strings.Fields(body), "") != `["app"]` {
		t.Errorf("GET /api/v1/tags: %d %s; want the AUTH user alone", code, body)
	}
	// The message's own summary says who authenticated and how (the UI
	// shows "as app (PLAIN)").
	if code, body := get(h, "GET", "/api/messages/1", nil, ""); code != 200 || !strings.Contains(body, `"auth_user": "app"`) || !strings.Contains(body, `"auth_mech": "PLAIN"`) {
		t.Errorf("GET /api/messages/1: %d %s", code, body)
	}
}
