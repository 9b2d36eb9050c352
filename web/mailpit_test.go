package web

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/smtp"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/internal/growth"
	"github.com/smtptest/smtptest/internal/jsonview"
)

// The Mailpit API v1, served by a Site on loopback.

const (
	mpWelcome = "From: Ann <ann@example.com>\r\nTo: Bob <bob@example.org>\r\nCc: carol@example.net\r\nSubject: Welcome, Bob\r\n" +
		"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: <welcome-1@example.com>\r\n\r\n" +
		"Hello Bob,\r\nplease verify: https://example.com/verify?t=1\r\n"
	mpNews = "From: News <news@example.com>\r\nTo: ann@example.org\r\nReply-To: replies@example.com\r\nSubject: =?utf-8?q?News_=E2=9C=93?=\r\n" +
		"Date: Tue, 01 Dec 2026 11:00:00 +0000\r\nMessage-ID: <news-1@example.com>\r\n" +
		"List-Unsubscribe: <https://example.com/u/1>, <mailto:u@example.com>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n" +
		"--m\r\nContent-Type: multipart/related; boundary=r\r\n\r\n" +
		"--r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>This week: <img src=\"cid:logo@example.com\"> <script>document.title='pwned'</script></p>\r\n" +
		"--r\r\nContent-Type: image/png\r\nContent-ID: <logo@example.com>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0K\r\n--r--\r\n" +
		"--m\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=report.pdf\r\n\r\n%PDF-1.4\r\n--m--\r\n"
)

var mpDisk = "From: alerts@example.net\r\nTo: ops@example.org\r\nSubject: Disk full\r\nDate: Tue, 01 Dec 2026 12:00:00 +0000\r\n" +
	"Message-ID: <disk-1@example.net>\r\n\r\n" + strings.Repeat("The disk /var is full.\r\n", 200)

// mpClient talks to the HTTP API of p.
type mpClient struct {
	t *testing.T
	p *proc
	c *http.Client
}

func (c mpClient) do(method, path, body string, header ...string) (int, string, http.Header) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.p.api+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// json does a request that must answer 200 with JSON, decoded into v.
func (c mpClient) json(method, path, body string, v any) {
	c.t.Helper()
	code, b, _ := c.do(method, path, body)
	if code != http.StatusOK {
		c.t.Fatalf("%s %s: %d %s", method, path, code, b)
	}
	if err := json.Unmarshal([]byte(b), v); err != nil {
		c.t.Fatalf("%s %s: %v\n%s", method, path, err, b)
	}
}

// ok does a request that must answer 200 "ok".
func (c mpClient) ok(method, path, body string) {
	c.t.Helper()
	if code, b, _ := c.do(method, path, body); code != http.StatusOK || b != "ok" {
		c.t.Fatalf("%s %s %s: %d %q", method, path, body, code, b)
	}
}

// ids lists the IDs of a page, in order.
func (l mpList) ids() []string {
	var out []string
	for _, m := range l.Messages {
		out = append(out, m.ID)
	}
	return out
}

func mpStart(t *testing.T, opts ...smtptest.Option) mpClient {
	p := start(t, opts...)
	c := mpClient{t: t, p: p, c: &http.Client{Timeout: bound}}
	for _, m := range []struct {
		msg string
		to  []string
	}{
		{mpWelcome, []string{"bob@example.org", "carol@example.net", "hidden@example.org"}},
		{mpNews, []string{"ann@example.org"}},
		{mpDisk, []string{"ops@example.org"}},
	} {
		if err := p.send("sender@example.com", m.to, m.msg); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func TestMailpitListAndSearch(t *testing.T) {
	c := mpStart(t)
	var l mpList
	c.json("GET", "/api/v1/messages", "", &l)
	if !slices.Equal(l.ids(), []string{"3", "2", "1"}) || l.Total != 3 || l.Unread != 3 || l.MessagesCount != 3 || l.MessagesUnread != 3 || l.Start != 0 || l.Tags == nil {
		t.Fatalf("list: %+v", l)
	}
	news := l.Messages[1]
	if news.Subject != "News ✓" || news.MessageID != "news-1@example.com" || news.From.Address != "news@example.com" || news.From.Name != "News" ||
		news.Attachments != 1 || news.Snippet != "This week:" || news.Size != len(mpNews) || news.Read || len(news.ReplyTo) != 1 || news.Created.IsZero() {
		t.Errorf("summary of News: %+v", news)
	}
	welcome := l.Messages[2]
	if len(welcome.To) != 1 || welcome.To[0].Name != "Bob" || len(welcome.Cc) != 1 || len(welcome.Bcc) != 1 || welcome.Bcc[0].Address != "hidden@example.org" {
		t.Errorf("addresses of Welcome (an envelope recipient missing from the header is in Bcc, as Mailpit adds it): %+v", welcome)
	}

	for _, p := range []struct {
		path string
		want []string
	}{
		{"/api/v1/messages?start=1&limit=1", []string{"2"}},
		{"/api/v1/messages?limit=0", []string{"3", "2", "1"}},
		{"/api/v1/messages?start=5", nil},
		{"/api/v1/messages?limit=-1", []string{"3", "2", "1"}}, // ignored: 50
		{"/api/v1/search?query=to:bob", []string{"1"}},
		{"/api/v1/search?query=from:news", []string{"2"}},
		{"/api/v1/search?query=from:NEWS@EXAMPLE.COM", []string{"2"}},
		{"/api/v1/search?query=cc:carol", []string{"1"}},
		{"/api/v1/search?query=bcc:hidden", []string{"1"}},
		{"/api/v1/search?query=reply-to:replies", []string{"2"}},
		{"/api/v1/search?query=addressed:ops", []string{"3"}},
		{"/api/v1/search?query=subject:welcome", []string{"1"}},
		{"/api/v1/search?query=-subject:welcome", []string{"3", "2"}},
		{"/api/v1/search?query=!from:news", []string{"3", "1"}},
		{"/api/v1/search?query=" + urlq(`subject:"disk full"`), []string{"3"}},
		{"/api/v1/search?query=" + urlq(`"please verify"`), []string{"1"}},
		{"/api/v1/search?query=verify", []string{"1"}},
		{"/api/v1/search?query=report.pdf", []string{"2"}},
		{"/api/v1/search?query=message-id:welcome-1", []string{"1"}},
		{"/api/v1/search?query=has:attachment", []string{"2"}},
		{"/api/v1/search?query=has:inline", []string{"2"}},
		{"/api/v1/search?query=-has:attachment", []string{"3", "1"}},
		{"/api/v1/search?query=larger:4kb", []string{"3"}},
		{"/api/v1/search?query=smaller:4kb", []string{"2", "1"}},
		{"/api/v1/search?query=after:2000-01-01", []string{"3", "2", "1"}},
		{"/api/v1/search?query=before:2000-01-01", nil},
		{"/api/v1/search?query=tag:x", nil},
		{"/api/v1/search?query=is:unread", []string{"3", "2", "1"}},
		{"/api/v1/search?query=" + urlq("welcome to:bob -has:attachment"), []string{"1"}},
		{"/api/v1/search?query=is:unread&start=1&limit=1", []string{"2"}},
	} {
		var l mpList
		c.json("GET", p.path, "", &l)
		if !slices.Equal(l.ids(), p.want) {
			t.Errorf("%s: %v, want %v", p.path, l.ids(), p.want)
		}
		if strings.Contains(p.path, "search") && !strings.Contains(p.path, "limit") && (l.MessagesCount != len(p.want) || l.Total != 3) {
			t.Errorf("%s: messages_count %d total %d", p.path, l.MessagesCount, l.Total)
		}
	}
	if code, b, _ := c.do("GET", "/api/v1/search", ""); code != 400 || b != "Error: no search query" {
		t.Errorf("search without query: %d %q", code, b)
	}
}

func urlq(s string) string { return strings.NewReplacer(" ", "%20", `"`, "%22", "!", "%21").Replace(s) }

func TestMailpitMessage(t *testing.T) {
	c := mpStart(t)
	var m mpMessage
	c.json("GET", "/api/v1/message/2", "", &m)
	if m.ID != "2" || m.Subject != "News ✓" || m.ReturnPath != "sender@example.com" || m.Date.Hour() != 11 ||
		!strings.Contains(m.HTML, "This week") || m.Text != "This week:" || m.Size != len(mpNews) ||
		m.ListUnsubscribe.HeaderPost != "List-Unsubscribe=One-Click" || !slices.Equal(m.ListUnsubscribe.Links, []string{"https://example.com/u/1", "mailto:u@example.com"}) {
		t.Errorf("message 2: %+v", m)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].FileName != "report.pdf" || m.Attachments[0].PartID != "2" || m.Attachments[0].Size != 8 ||
		m.Attachments[0].Checksums.SHA256 != "e16fa5d9b51928755db85b917f0297babaf22c7a47e97d9212adab56e61ba04e" {
		t.Errorf("attachments: %+v", m.Attachments)
	}
	if len(m.Inline) != 1 || m.Inline[0].ContentID != "logo@example.com" || m.Inline[0].PartID != "1.2" || m.Inline[0].ContentType != "image/png" {
		t.Errorf("inline: %+v", m.Inline)
	}
	// Reading it marked it read.
	var l mpList
	c.json("GET", "/api/v1/search?query=is:read", "", &l)
	if !slices.Equal(l.ids(), []string{"2"}) || l.Unread != 2 {
		t.Errorf("after reading 2: %v unread %d", l.ids(), l.Unread)
	}

	for _, r := range []struct {
		path, want string
		code       int
	}{
		{"/api/v1/message/latest", `"ID": "3"`, 200},
		{"/api/v1/message/latest?query=from:news", `"ID": "2"`, 200},
		{"/api/v1/message/latest?query=from:nobody", "Message not found", 404},
		{"/api/v1/message/99", "404 page not found", 404},
		{"/api/v1/message/abc", "404 page not found", 404},
		{"/api/v1/message/1/headers", `"Message-Id": [`, 200},
		{"/api/v1/message/latest/headers", `"Subject": [`, 200},
		{"/api/v1/message/2/part/2", "%PDF-1.4", 200},
		{"/api/v1/message/2/part/9", "404 page not found", 404},
		{"/api/v1/message/1/raw", mpWelcome, 200},
		{"/view/1.txt", "Hello Bob,\r\nplease verify: https://example.com/verify?t=1\r\n", 200},
		{"/view/latest.txt", "The disk /var is full.", 200},
		{"/view/2.html", `<img src="/api/v1/message/2/part/1.2">`, 200},
		{"/view/1.html", "This message does not contain a HTML part", 404},
		{"/view/99.html", "404 page not found", 404},
		{"/view/1.pdf", "404 page not found", 404},
		{"/livez", "", 200},
		{"/readyz", "", 200},
		{"/api/v1/tags", "[]", 200},
	} {
		code, b, _ := c.do("GET", r.path, "")
		if code != r.code || !strings.Contains(b, r.want) {
			t.Errorf("GET %s: %d %.200q, want %d and %q", r.path, code, b, r.code, r.want)
		}
	}
	if _, b, h := c.do("GET", "/api/v1/message/1/raw?dl=1", ""); b != mpWelcome || h.Get("Content-Disposition") != `attachment; filename="1.eml"` || h.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("raw: %q %v", b, h)
	}
	var headers map[string][]string
	c.json("GET", "/api/v1/message/2/headers", "", &headers)
	if !slices.Equal(headers["Subject"], []string{"=?utf-8?q?News_=E2=9C=93?="}) || len(headers["List-Unsubscribe-Post"]) != 1 {
		t.Errorf("headers (as written, as Mailpit gives them): %v", headers)
	}
	// The message's HTML cannot run script in the server's origin.
	_, _, h := c.do("GET", "/view/2.html", "")
	if csp := h.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "sandbox") || strings.Contains(csp, "allow-scripts") || strings.Contains(csp, "allow-same-origin") {
		t.Errorf("view CSP %q", csp)
	}
	if _, _, h := c.do("GET", "/api/v1/message/2/part/2", ""); h.Get("Content-Type") != "application/pdf" || h.Get("Content-Disposition") != "inline; filename=report.pdf" {
		t.Errorf("part headers %v", h)
	}
}

func TestMailpitReadStatusAndDelete(t *testing.T) {
	c := mpStart(t)
	unread := func() []string {
		t.Helper()
		var l mpList
		c.json("GET", "/api/v1/search?query=is:unread", "", &l)
		return l.ids()
	}
	c.ok("PUT", "/api/v1/messages", `{"IDs":["2"],"Read":true}`)
	if got := unread(); !slices.Equal(got, []string{"3", "1"}) {
		t.Errorf("after reading 2 by ID: unread %v", got)
	}
	c.ok("PUT", "/api/v1/messages", `{"Read":true}`)
	if got := unread(); got != nil {
		t.Errorf("after all read: unread %v", got)
	}
	c.ok("PUT", "/api/v1/messages", `{"Search":"from:ann","Read":false}`)
	if got := unread(); !slices.Equal(got, []string{"1"}) {
		t.Errorf("after unread by search: %v", got)
	}
	for body, want := range map[string]string{
		`{"IDs":["1"],"Search":"x","Read":true}`: "You may specify either IDs or a search query, not both",
		`{"IDs":`:                                "unexpected EOF",
	} {
		if code, b, _ := c.do("PUT", "/api/v1/messages", body); code != 400 || !strings.Contains(b, want) {
			t.Errorf("PUT %s: %d %q", body, code, b)
		}
	}

	var l mpList
	// A body over the limit is refused, not read as "delete all".
	if code, b, _ := c.do("DELETE", "/api/v1/messages", `{"IDs":["1"`+strings.Repeat(`,"1"`, 300000)+`]}`); code != 400 || !strings.Contains(b, "too large") {
		t.Errorf("a DELETE body over the limit: %d %.100q", code, b)
	}
	c.ok("DELETE", "/api/v1/messages", `{"IDs":["1"]}`)
	c.json("GET", "/api/v1/messages", "", &l)
	if !slices.Equal(l.ids(), []string{"3", "2"}) {
		t.Errorf("after deleting 1: %v", l.ids())
	}
	c.ok("DELETE", "/api/v1/search?query=from:news", "")
	c.json("GET", "/api/v1/messages", "", &l)
	if !slices.Equal(l.ids(), []string{"3"}) {
		t.Errorf("after deleting by search: %v", l.ids())
	}
	if code, b, _ := c.do("DELETE", "/api/v1/search", ""); code != 400 || b != "Error: no search query" {
		t.Errorf("DELETE search without query: %d %q", code, b)
	}
	c.ok("DELETE", "/api/v1/messages", "")
	c.json("GET", "/api/v1/messages", "", &l)
	if l.ids() != nil || l.Total != 0 {
		t.Errorf("after deleting all: %+v", l)
	}
	// IDs are never reused.
	if err := c.p.send("a@example.com", []string{"b@example.org"}, mpWelcome); err != nil {
		t.Fatal(err)
	}
	c.json("GET", "/api/v1/messages", "", &l)
	if !slices.Equal(l.ids(), []string{"4"}) {
		t.Errorf("a new message after deleting all: %v", l.ids())
	}
	var info mpInfo
	c.json("GET", "/api/v1/info", "", &info)
	if info.Messages != 1 || info.Unread != 1 || info.RuntimeStats.SMTPAccepted != 4 || info.RuntimeStats.MessagesDeleted != 3 ||
		info.RuntimeStats.SMTPAcceptedSize != int64(2*len(mpWelcome)+len(mpNews)+len(mpDisk)) || !strings.HasPrefix(info.Version, "smtptest") {
		t.Errorf("info: %+v", info)
	}
}

func TestMailpitChaos(t *testing.T) {
	c := mpStart(t, smtptest.Users(map[string]string{"app": "secret"}))
	var ch chaosTriggers
	c.json("GET", "/api/v1/chaos", "", &ch)
	if ch != (chaosTriggers{Sender: chaosTrigger{451, 0}, Recipient: chaosTrigger{451, 0}, Authentication: chaosTrigger{535, 0}}) {
		t.Errorf("defaults: %+v", ch)
	}
	c.json("PUT", "/api/v1/chaos", `{"Recipient":{"ErrorCode":550,"Probability":100},"Authentication":{"Probability":100}}`, &ch)
	if ch.Recipient != (chaosTrigger{550, 100}) || ch.Authentication != (chaosTrigger{535, 100}) || ch.Sender != (chaosTrigger{451, 0}) {
		t.Errorf("after PUT: %+v", ch)
	}
	err := c.p.send("a@example.com", []string{"b@example.org"}, mpWelcome)
	if err == nil || !strings.Contains(err.Error(), "550") || !strings.Contains(err.Error(), "Chaos recipient error") {
		t.Errorf("RCPT with the Recipient trigger at 100%%: %v", err)
	}
	sc, err := smtp.Dial(c.p.addr)
	if err != nil {
		t.Fatal(err)
	}
	err = sc.Auth(smtp.PlainAuth("", "app", "secret", "127.0.0.1"))
	sc.Close()
	if err == nil || !strings.Contains(err.Error(), "535") {
		t.Errorf("AUTH with the Authentication trigger: %v", err)
	}
	// The triggers are faults, listed with the others.
	_, b, _ := c.do("GET", "/api/faults", "")
	if !strings.Contains(b, "rcpt reply 550 Chaos recipient error") || !strings.Contains(b, "auth reply 535 Chaos authentication error") {
		t.Errorf("faults: %s", b)
	}
	// PUT without triggers resets them: mail goes through.
	c.json("PUT", "/api/v1/chaos", `{}`, &ch)
	if ch.Recipient.Probability != 0 || ch.Authentication.Probability != 0 {
		t.Errorf("after PUT {}: %+v", ch)
	}
	if err := c.p.send("a@example.com", []string{"b@example.org"}, mpWelcome); err != nil {
		t.Errorf("after PUT {}: %v", err)
	}
	c.json("PUT", "/api/v1/chaos", `{"Sender":{"ErrorCode":452,"Probability":25}}`, &ch)
	_, b, _ = c.do("GET", "/api/faults", "")
	if ch.Sender != (chaosTrigger{452, 25}) || !strings.Contains(b, "mail rate=0.25 reply 452 Chaos sender error") {
		t.Errorf("a probability: %+v, faults %s", ch, b)
	}
	// A fault added otherwise is reported as the trigger it amounts to.
	c.do("DELETE", "/api/faults", "")
	c.do("POST", "/api/faults", "rcpt reply 554 No")
	c.json("GET", "/api/v1/chaos", "", &ch)
	if ch.Recipient != (chaosTrigger{554, 100}) || ch.Sender.Probability != 0 {
		t.Errorf("from a fault: %+v", ch)
	}
	for body, want := range map[string]string{
		`{"Sender":{"ErrorCode":250,"Probability":10}}`: "error code must be between 400 and 599",
		`{"Sender":{"Probability":101}}`:                "probability must be between 0 and 100",
		`{"Sender":`:                                    "unexpected EOF",
	} {
		if code, b, _ := c.do("PUT", "/api/v1/chaos", body); code != 400 || !strings.Contains(b, want) {
			t.Errorf("PUT chaos %s: %d %q", body, code, b)
		}
	}
}

func TestMailpitHostileRequests(t *testing.T) {
	c := mpStart(t)
	if code, _, _ := c.do("GET", "/api/v1/messages", "", "Host", "evil.example"); code != http.StatusForbidden {
		t.Errorf("a foreign Host: %d", code)
	}
	if code, _, _ := c.do("DELETE", "/api/v1/messages", "", "Origin", "http://evil.example"); code != http.StatusForbidden {
		t.Errorf("a cross-site DELETE: %d", code)
	}
	if code, _, _ := c.do("PUT", "/api/v1/chaos", `{}`, "Sec-Fetch-Site", "cross-site"); code != http.StatusForbidden {
		t.Errorf("a cross-site PUT: %d", code)
	}
	// Odd input never means "all": Mailpit deletes every message for a
	// query that parses to nothing and for a body cut short.
	for _, q := range []string{`"`, `to:`, `subject:`, `,`, `before:xyz`, `"" to:`} {
		if code, b, _ := c.do("DELETE", "/api/v1/search?query="+urlq(q), ""); code != http.StatusBadRequest || !strings.Contains(b, "nothing was changed") {
			t.Errorf("DELETE /api/v1/search?query=%s: %d %q", q, code, b)
		}
		if code, b, _ := c.do("PUT", "/api/v1/messages", fmt.Sprintf(`{"Search": %q, "Read": true}`, q)); code != http.StatusBadRequest {
			t.Errorf("PUT read status by search %s: %d %q", q, code, b)
		}
	}
	for _, body := range []string{`{"IDs":["1"`, `{"IDs":`, `{`, `[`, `"IDs"`, `{"IDs": "1"}`} {
		if code, b, _ := c.do("DELETE", "/api/v1/messages", body); code != http.StatusBadRequest || !strings.Contains(b, "nothing was deleted") {
			t.Errorf("DELETE /api/v1/messages %s: %d %q", body, code, b)
		}
	}
	if code, b, _ := c.do("GET", "/api/v1/search?query="+urlq(strings.Repeat("-x ", 4000)), ""); code != http.StatusBadRequest || !strings.Contains(b, "at most") {
		t.Errorf("a search of 4,000 terms: %d %q", code, b)
	}
	var l mpList
	c.json("GET", "/api/v1/messages", "", &l)
	if len(l.Messages) != 3 {
		t.Errorf("something was deleted: %v", l.ids())
	}
	c.ok("DELETE", "/api/v1/messages", `{}`) // explicit: every message, as Mailpit documents
	c.json("GET", "/api/v1/messages", "", &l)
	if len(l.Messages) != 0 {
		t.Errorf("DELETE {} left %v", l.ids())
	}
}

func TestWaitForSearch(t *testing.T) {
	c := mpStart(t)
	got := make(chan string, 1)
	go func() {
		_, b, _ := c.do("GET", "/api/messages/wait?query="+urlq("subject:later")+"&count=2&timeout=20s", "")
		got <- b
	}()
	// The wait answers only when two messages match: send one that does
	// not, then two that do.
	for _, subject := range []string{"now", "later", "later again"} {
		if err := c.p.send("a@example.com", []string{"b@example.org"}, "From: a@example.com\r\nSubject: "+subject+"\r\n\r\nx\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	var list []jsonview.Summary
	if err := json.Unmarshal([]byte(<-got), &list); err != nil || len(list) != 2 || list[0].ID != 5 || list[1].ID != 6 {
		t.Errorf("wait: %+v, %v", list, err)
	}
	code, b, _ := c.do("GET", "/api/messages/wait?query=subject:never&count=1&timeout=10ms", "")
	if code != http.StatusRequestTimeout || strings.TrimSpace(b) != "[]" {
		t.Errorf("a wait that times out: %d %s", code, b)
	}
}

// linkCIDsRegexp is how linkCIDs worked before it was made one pass, a
// regular expression per part, kept as the oracle it must agree with.
func linkCIDsRegexp(htmlBody string, id int, parts []mpAttachment) string {
	for _, p := range parts {
		if p.ContentID == "" {
			continue
		}
		re := regexp.MustCompile(`(?i)(=["']?)cid:` + regexp.QuoteMeta(p.ContentID) + `(["'\s/>;])`)
		htmlBody = re.ReplaceAllString(htmlBody, fmt.Sprintf("${1}/api/v1/message/%d/part/%s${2}", id, p.PartID))
	}
	return htmlBody
}

func TestLinkCIDs(t *testing.T) {
	parts := []mpAttachment{{PartID: "2", ContentID: "logo@x"}, {PartID: "3", ContentID: "a/b@x"}, {PartID: "4", ContentID: "Pic.1"}, {PartID: "5"}}
	for _, c := range []struct{ in, want string }{
		{`<img src="cid:logo@x">`, `<img src="/api/v1/message/7/part/2">`},
		{`<img src='CID:LOGO@X'>`, `<img src='/api/v1/message/7/part/2'>`},
		{`<img src=cid:logo@x>`, `<img src=/api/v1/message/7/part/2>`},
		{`<img src=cid:logo@x/>`, `<img src=/api/v1/message/7/part/2/>`},
		{`<img src="cid:a/b@x">`, `<img src="/api/v1/message/7/part/3">`},
		{`<img src="cid:pic.1"><img src="cid:logo@x">`, `<img src="/api/v1/message/7/part/4"><img src="/api/v1/message/7/part/2">`},
		{`<img src="cid:logo@xx">`, `<img src="cid:logo@xx">`},
		{`<p>cid:logo@x </p>`, `<p>cid:logo@x </p>`},
		{`<img src="cid:logo@x`, `<img src="cid:logo@x`},
		{`<img src="=cid:x=cid:logo@x">`, `<img src="=cid:x=/api/v1/message/7/part/2">`},
		{`x="cid:" y`, `x="cid:" y`},
	} {
		if got := linkCIDs("", c.in, 7, parts); got != c.want {
			t.Errorf("linkCIDs(%q) = %q; want %q", c.in, got, c.want)
		}
		if got := linkCIDsRegexp(c.in, 7, parts); got != c.want {
			t.Errorf("the regular expressions give %q for %q; the test expects %q", got, c.in, c.want)
		}
	}
	// Random documents from the same pieces: both ways agree.
	r := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"=", `"`, "'", "cid:", "CID:", "logo@x", "a/b@x", "a", "/", " ", ">", ";", "pic.1", "x", "<img src"}
	for range 20000 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		doc := b.String()
		if got, want := linkCIDs("", doc, 7, parts), linkCIDsRegexp(doc, 7, parts); got != want {
			t.Fatalf("linkCIDs(%q) = %q; the regular expressions give %q", doc, got, want)
		}
	}
}

// TestLinkCIDsGrowsLinearly: 8,000 parts and 1 MiB of HTML (the regular
// expression per part took 105 s).
func TestLinkCIDsGrowsLinearly(t *testing.T) {
	var parts []mpAttachment
	for i := range 8000 {
		parts = append(parts, mpAttachment{PartID: fmt.Sprint(i + 1), ContentID: fmt.Sprintf("img%d@example.com", i)})
	}
	growth.Linear(t, func(n int) []byte {
		var b strings.Builder
		for i := 0; b.Len() < n; i++ {
			fmt.Fprintf(&b, "<img src=\"cid:img%d@example.com\"> =cid:nothing", i%8000)
		}
		return []byte(b.String())
	}, func(doc []byte) {
		if out := linkCIDs("", string(doc), 1, parts); strings.Contains(out, "cid:img") {
			t.Error("a reference was left")
		}
	})
}

// TestMailpitHTMLCheck: GET /api/v1/message/{ID}/html-check in Mailpit's
// shape (its HTMLCheckResponse), flexbox scored unsupported in Outlook
// for Windows; a message without HTML is Mailpit's 400.
func TestMailpitHTMLCheck(t *testing.T) {
	c := mpStart(t)
	msg := "From: a@example.com\r\nTo: b@example.org\r\nSubject: Styled\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n" +
		`<html lang="en"><body><div style="display: flex">Hi</div><div style="display: flex">there</div></body></html>` + "\r\n"
	if err := c.p.send("a@example.com", []string{"b@example.org"}, msg); err != nil {
		t.Fatal(err)
	}
	var res mpHTMLCheck
	c.json("GET", "/api/v1/message/latest/html-check", "", &res)
	var flex *mpHTMLWarning
	for i := range res.Warnings {
		if res.Warnings[i].Slug == "css-display-flex" {
			flex = &res.Warnings[i]
		}
	}
	if flex == nil || flex.Score.Found != 2 || flex.Score.Unsupported <= 0 || flex.URL != "https://www.caniemail.com/features/css-display-flex/" || res.Total.Tests < 3 || res.Total.Nodes < 2 {
		t.Fatalf("html-check: %+v; flex %+v", res.Total, flex)
	}
	found := false
	for _, r := range flex.Results {
		if r.Family == "outlook" && r.Platform == "windows" && r.Version == "2019" && r.Support == "no" && r.Name == "Outlook Windows (2019)" {
			found = true
		}
	}
	if !found || !slices.Contains(res.Platforms["windows"], "Outlook") || res.Total.Supported+res.Total.Partial+res.Total.Unsupported < 99.9 {
		t.Errorf("html-check results: %+v platforms %v total %+v", flex.Results[:3], res.Platforms["windows"], res.Total)
	}
	if code, body, _ := c.do("GET", "/api/v1/message/1/html-check", ""); code != http.StatusBadRequest || !strings.Contains(body, "message does not contain HTML") {
		t.Errorf("a message without HTML: %d %s", code, body)
	}
}
