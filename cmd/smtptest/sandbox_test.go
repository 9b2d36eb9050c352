package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/smtp"
	"net/textproto"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// sandboxAnswer is what POST /api/sandboxes answers.
type sandboxAnswer struct {
	ID, SMTP, UI, TLS, Certificate, TTL string
	BaseURL                             string `json:"base_url"`
	SMTPPort                            int    `json:"smtp_port"`
	Messages                            int
}

// do makes an HTTP request and returns the status and body.
func do(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// newSandbox makes a sandbox with the JSON options body.
func newSandbox(t *testing.T, p *proc, body string) sandboxAnswer {
	t.Helper()
	code, b := do(t, "POST", p.api+"/api/sandboxes", body)
	var sb sandboxAnswer
	if err := json.Unmarshal([]byte(b), &sb); code != http.StatusCreated || err != nil || sb.ID == "" {
		t.Fatalf("POST /api/sandboxes %s: %d %s", body, code, b)
	}
	return sb
}

// TestSandboxesAreIsolated: two sandboxes made at once, with faults of
// their own, each see their own mail, refusals and faults through their
// base URL (both APIs), and nothing reaches the top level; deleting one
// closes its SMTP port and its paths.
func TestSandboxesAreIsolated(t *testing.T) {
	p := start(t, "-http", "127.0.0.1:0")
	var a, b sandboxAnswer
	var wg sync.WaitGroup
	wg.Go(func() {
		a = newSandbox(t, p, `{"faults": ["rcpt *@bad.example reply 550 5.1.1 Not in A"], "ttl": "5m"}`)
	})
	wg.Go(func() { b = newSandbox(t, p, `{"faults": ["mail reply 451 4.3.0 B is busy"], "seed": 7}`) })
	wg.Wait()
	if a.ID == b.ID || a.SMTP == b.SMTP || a.BaseURL != p.api+"/sandboxes/"+a.ID || a.UI != a.BaseURL+"/" || a.TTL != "5m0s" {
		t.Fatalf("sandboxes %+v and %+v", a, b)
	}
	if err := smtp.SendMail(a.SMTP, nil, "app@example.com", []string{"ann@example.org"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	var tp *textproto.Error
	if err := smtp.SendMail(a.SMTP, nil, "app@example.com", []string{"eve@bad.example"}, []byte(msg)); !errors.As(err, &tp) || tp.Code != 550 {
		t.Errorf("A's fault: %v", err)
	}
	if err := smtp.SendMail(b.SMTP, nil, "app@example.com", []string{"ann@example.org"}, []byte(msg)); !errors.As(err, &tp) || tp.Code != 451 {
		t.Errorf("B's fault: %v", err)
	}
	for _, c := range []struct {
		base, path, want, not string
	}{
		{a.BaseURL, "/api/v1/messages", `"messages_count": 1`, ""},
		{a.BaseURL, "/api/messages", `"subject": "Hello"`, ""},
		{a.BaseURL, "/api/rejections", "eve@bad.example", "B is busy"},
		{a.BaseURL, "/api/faults", "Not in A", "B is busy"},
		{b.BaseURL, "/api/v1/messages", `"messages_count": 0`, ""},
		{b.BaseURL, "/api/rejections", "B is busy", "eve@bad.example"},
		{b.BaseURL, "/api/faults", "B is busy", "Not in A"},
		{b.BaseURL, "/api/ui/server", `"seed": "7"`, ""},
		{p.api, "/api/v1/messages", `"messages_count": 0`, ""},
		{p.api, "/api/rejections", "[]", ""},
		{a.BaseURL, "/", `src="ui/app.js"`, ""},
	} {
		code, body := do(t, "GET", c.base+c.path, "")
		if code != 200 || !strings.Contains(body, c.want) || (c.not != "" && strings.Contains(body, c.not)) {
			t.Errorf("GET %s%s: %d %.300s; want %s", c.base, c.path, code, body, c.want)
		}
	}
	code, body := do(t, "GET", p.api+"/api/sandboxes", "")
	var list []sandboxAnswer
	json.Unmarshal([]byte(body), &list)
	if code != 200 || len(list) != 2 {
		t.Fatalf("GET /api/sandboxes: %d %s", code, body)
	}
	for _, sb := range list {
		if want := map[string]int{a.ID: 1, b.ID: 0}[sb.ID]; sb.Messages != want {
			t.Errorf("sandbox %s lists %d messages; want %d", sb.ID, sb.Messages, want)
		}
	}

	if code, _ := do(t, "DELETE", p.api+"/api/sandboxes/"+a.ID, ""); code != http.StatusNoContent {
		t.Errorf("DELETE: %d", code)
	}
	if code, _ := do(t, "GET", a.BaseURL+"/api/v1/messages", ""); code != http.StatusNotFound {
		t.Errorf("a deleted sandbox's API: %d", code)
	}
	if code, _ := do(t, "DELETE", p.api+"/api/sandboxes/"+a.ID, ""); code != http.StatusNotFound {
		t.Errorf("deleted twice: %d", code)
	}
	if _, err := smtp.Dial(a.SMTP); err == nil {
		t.Error("a deleted sandbox still takes connections")
	}
	for l := p.line(); !strings.Contains(l, "sandbox "+a.ID+" deleted"); l = p.line() { // the output says so
	}
	if code, _ := p.stop(syscall.SIGTERM); code != 0 { // B still open: closed with the command
		t.Errorf("exit %d", code)
	}
}

// TestSandboxRequests: what POST /api/sandboxes refuses, the cap, a page
// of another site, and a sandbox's redirect to its UI.
func TestSandboxRequests(t *testing.T) {
	p := start(t, "-http", "127.0.0.1:0", "-max-sandboxes", "2", "-quiet")
	for _, c := range []struct{ body, want string }{
		{`{"tll": "5m"}`, "unknown field"},
		{`{"ttl": "5 minutes"}`, "ttl"},
		{`{"ttl": "100h"}`, "ttl"},
		{`{"faults": ["rcpt reply 250"]}`, "faults"},
		{`{"starttls": true, "tls": true}`, "one or the other"},
		{`{"require_auth": true}`, "-require-auth needs at least one -user"},
		{`{"dkim_keys": [{"domain": "example.com", "selector": "s", "key": "nope"}]}`, "dkim_keys example.com:s"},
		{`{"max_messages": -1}`, "max_messages"},
		{`[1, 2]`, "the sandbox's options"},
	} {
		if code, body := do(t, "POST", p.api+"/api/sandboxes", c.body); code != http.StatusBadRequest || !strings.Contains(body, c.want) {
			t.Errorf("POST %s: %d %s; want 400 saying %q", c.body, code, body, c.want)
		}
	}
	newSandbox(t, p, "")
	sb := newSandbox(t, p, `{}`)
	if code, body := do(t, "POST", p.api+"/api/sandboxes", `{}`); code != http.StatusTooManyRequests || !strings.Contains(body, "-max-sandboxes") {
		t.Errorf("past the cap: %d %s", code, body)
	}
	if code, _ := do(t, "GET", p.api+"/api/sandboxes/nope", ""); code != http.StatusNotFound {
		t.Errorf("GET an unknown sandbox: %d", code)
	}
	// Another site's page may not make sandboxes, nor name the server by
	// a name of its own (DNS rebinding).
	req, _ := http.NewRequest("POST", p.api+"/api/sandboxes", strings.NewReader("{}"))
	req.Header.Set("Origin", "https://evil.example")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site POST: %v %v", resp, err)
	}
	req, _ = http.NewRequest("GET", sb.BaseURL+"/api/v1/messages", nil)
	req.Host = "evil.example"
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a sandbox's API under another Host: %v %v", resp, err)
	}
	// Its base URL without the slash goes to its UI.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, err := client.Get(sb.BaseURL); err != nil || resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/sandboxes/"+sb.ID+"/" {
		t.Errorf("GET %s: %v %v", sb.BaseURL, resp, err)
	}
}

// TestSandboxExpires: a sandbox nobody uses goes after its TTL, and the
// output says so; one in use stays.
func TestSandboxExpires(t *testing.T) {
	p := start(t, "-http", "127.0.0.1:0")
	sb := newSandbox(t, p, `{"ttl": "1s"}`)
	for l := p.line(); !strings.Contains(l, "sandbox "+sb.ID+" expired"); l = p.line() {
		if !strings.Contains(l, "sandbox "+sb.ID+" created") {
			t.Errorf("line %q", l)
		}
	}
	if code, _ := do(t, "GET", sb.BaseURL+"/api/v1/info", ""); code != http.StatusNotFound {
		t.Errorf("an expired sandbox answers: %d", code)
	}
}

// TestSandboxTLS: a sandbox with STARTTLS gives the certificate to
// trust; users of its own authenticate there and nowhere else.
func TestSandboxTLS(t *testing.T) {
	p := start(t, "-http", "127.0.0.1:0", "-quiet")
	sb := newSandbox(t, p, `{"starttls": true, "users": {"app": "secret"}, "require_auth": true}`)
	if sb.TLS != "starttls" || !strings.Contains(sb.Certificate, "BEGIN CERTIFICATE") {
		t.Fatalf("sandbox %+v", sb)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(sb.Certificate))
	c, err := smtp.Dial(sb.SMTP)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}); err != nil {
		t.Fatalf("STARTTLS with the sandbox's certificate: %v", err)
	}
	if err := c.Auth(smtp.PlainAuth("", "app", "secret", "127.0.0.1")); err != nil {
		t.Fatalf("AUTH: %v", err)
	}
	if err := sendOn(c, "app@example.com", []string{"ann@example.org"}, msg); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	// The top level has no users: AUTH there is not offered.
	top, err := smtp.Dial(p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer top.Close()
	if ok, _ := top.Extension("AUTH"); ok {
		t.Error("the sandbox's users reach the top level")
	}
}

// TestTagFlags: -tags-disable and -tags-username reach the web side, and
// a sandbox's tags_disable and tags_username its own; bad values are
// refused.
func TestTagFlags(t *testing.T) {
	tagsOf := func(t *testing.T, base, smtpAddr string) string {
		t.Helper()
		c, err := smtp.Dial(smtpAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Auth(smtp.PlainAuth("", "app", "secret", "127.0.0.1")); err != nil {
			t.Fatal(err)
		}
		m := "From: app@example.com\r\nTo: ann+signup@example.org\r\nX-Tags: invoice\r\nSubject: Tagged\r\n\r\nx\r\n"
		if err := sendOn(c, "app@example.com", []string{"ann+signup@example.org"}, m); err != nil {
			t.Fatal(err)
		}
		c.Quit()
		_, body := do(t, "GET", base+"/api/v1/tags", "")
		return strings.Join(strings.Fields(body), "")
	}
	p := start(t, "-http", "127.0.0.1:0", "-quiet", "-user", "app:secret", "-tags-disable", "x-tags", "-tags-username")
	if got := tagsOf(t, p.api, p.addr); got != `["app","signup"]` {
		t.Errorf("-tags-disable x-tags -tags-username: %s", got)
	}
	sb := newSandbox(t, p, `{"users": {"app": "secret"}, "tags_disable": ["plus-addresses"]}`)
	if got := tagsOf(t, sb.BaseURL, sb.SMTP); got != `["invoice"]` {
		t.Errorf("a sandbox's tags_disable: %s", got)
	}
	if code, body := do(t, "POST", p.api+"/api/sandboxes", `{"tags_disable": ["everything"]}`); code != http.StatusBadRequest || !strings.Contains(body, "tags_disable") {
		t.Errorf("a bad tags_disable: %d %s", code, body)
	}
	if code, stderr := runBad(t, "-tags-disable", "nope"); code != 2 || !strings.Contains(stderr, "want x-tags or plus-addresses") {
		t.Errorf("-tags-disable nope: %d %s", code, stderr)
	}
}

// TestAllowHosts: -reject-malformed refuses a message that links to
// localhost (content/link-local) unless -allow-hosts lets it; a sandbox's
// allow_hosts likewise.
func TestAllowHosts(t *testing.T) {
	msg := "Date: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\nFrom: app@example.com\r\nTo: ann@example.org\r\nSubject: Verify\r\n\r\n" +
		"Verify at http://localhost:3000/verify?t=1\r\n"
	var tp *textproto.Error
	p := start(t, "-http", "127.0.0.1:0", "-quiet", "-reject-malformed")
	if err := smtp.SendMail(p.addr, nil, "app@example.com", []string{"ann@example.org"}, []byte(msg)); !errors.As(err, &tp) || tp.Code != 550 || !strings.Contains(tp.Msg, "localhost") {
		t.Errorf("a link to localhost with -reject-malformed: %v", err)
	}
	q := start(t, "-http", "127.0.0.1:0", "-quiet", "-reject-malformed", "-allow-hosts", "localhost,*.test")
	if err := smtp.SendMail(q.addr, nil, "app@example.com", []string{"ann@example.org"}, []byte(msg)); err != nil {
		t.Errorf("with -allow-hosts localhost: %v", err)
	}
	if _, body := do(t, "GET", q.api+"/api/messages/1", ""); strings.Contains(body, "content/link-local") {
		t.Errorf("the API lists content/link-local despite -allow-hosts: %s", body)
	}
	sb := newSandbox(t, p, `{"reject_malformed": true, "allow_hosts": ["localhost"]}`)
	if err := smtp.SendMail(sb.SMTP, nil, "app@example.com", []string{"ann@example.org"}, []byte(msg)); err != nil {
		t.Errorf("a sandbox with allow_hosts: %v", err)
	}
}

// TestGreylistFlag: -greylist refuses a first attempt with 451 4.7.1 (in
// the output and the API's rejections); a sandbox's greylist likewise.
func TestGreylistFlag(t *testing.T) {
	p := start(t, "-http", "127.0.0.1:0", "-greylist", "1h")
	var tp *textproto.Error
	if err := smtp.SendMail(p.addr, nil, "app@example.com", []string{"ann@example.org"}, []byte(msg)); !errors.As(err, &tp) || tp.Code != 451 || !strings.Contains(tp.Msg, "4.7.1 Greylisted") {
		t.Errorf("first attempt: %v", err)
	}
	for l := p.line(); !strings.Contains(l, "refused"); l = p.line() {
	}
	if _, body := do(t, "GET", p.api+"/api/rejections", ""); !strings.Contains(body, `"code": 451`) || !strings.Contains(body, "ann@example.org") {
		t.Errorf("rejections: %s", body)
	}
	sb := newSandbox(t, p, `{"greylist": "1h"}`)
	if err := smtp.SendMail(sb.SMTP, nil, "app@example.com", []string{"ann@example.org"}, []byte(msg)); !errors.As(err, &tp) || tp.Code != 451 {
		t.Errorf("a sandbox's greylist: %v", err)
	}
	if code, _ := do(t, "POST", p.api+"/api/sandboxes", `{"greylist": "soon"}`); code != http.StatusBadRequest {
		t.Errorf("a bad greylist: %d", code)
	}
	if code, stderr := runBad(t, "-greylist", "-1s"); code != 2 || !strings.Contains(stderr, "negative") {
		t.Errorf("-greylist -1s: %d %s", code, stderr)
	}
}

// TestRateLimitFlag: -rate-limit throttles (421 4.7.0 and a hang-up), a
// sandbox's rate_limit likewise; bad specs are refused.
func TestRateLimitFlag(t *testing.T) {
	p := start(t, "-http", "127.0.0.1:0", "-quiet", "-rate-limit", "messages=1,period=1h")
	if err := smtp.SendMail(p.addr, nil, "app@example.com", []string{"ann@example.org"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	var tp *textproto.Error
	if err := smtp.SendMail(p.addr, nil, "app@example.com", []string{"ann@example.org"}, []byte(msg)); !errors.As(err, &tp) || tp.Code != 421 || !strings.Contains(tp.Msg, "4.7.0") {
		t.Errorf("the second message: %v", err)
	}
	sb := newSandbox(t, p, `{"rate_limit": "concurrent=1"}`)
	c1, err := smtp.Dial(sb.SMTP)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	if _, err := smtp.Dial(sb.SMTP); err == nil || !strings.Contains(err.Error(), "421") {
		t.Errorf("a second connection at once: %v", err)
	}
	if code, _ := do(t, "POST", p.api+"/api/sandboxes", `{"rate_limit": "fast"}`); code != http.StatusBadRequest {
		t.Errorf("a bad rate_limit: %d", code)
	}
	for _, bad := range []string{"messages", "messages=-1", "period=0s", "speed=3"} {
		if code, _ := runBad(t, "-rate-limit", bad); code != 2 {
			t.Errorf("-rate-limit %s: exit %d", bad, code)
		}
	}
}

// TestStrictSyncFlag: -strict-sync refuses EHLO and MAIL in one write;
// -greet-pause needs it.
func TestStrictSyncFlag(t *testing.T) {
	p := start(t, "-quiet", "-strict-sync")
	nc, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	r := bufio.NewReader(nc)
	r.ReadString('\n')
	io.WriteString(nc, "EHLO client.example\r\nMAIL FROM:<a@example.com>\r\n")
	if l, _ := r.ReadString('\n'); !strings.HasPrefix(l, "554 5.5.0") {
		t.Errorf("EHLO and MAIL in one write: %q", l)
	}
	if code, stderr := runBad(t, "-greet-pause", "1s"); code != 2 || !strings.Contains(stderr, "-strict-sync") {
		t.Errorf("-greet-pause alone: %d %s", code, stderr)
	}
}

// TestLikeFlag: -like gmail refuses bulk mail without one-click
// unsubscription (550 5.7.1); a sandbox's like likewise; -like postfix
// keeps its size limit unless -max-size is given; an unknown name is
// refused.
func TestLikeFlag(t *testing.T) {
	p := start(t, "-http", "127.0.0.1:0", "-quiet", "-like", "gmail")
	var tp *textproto.Error
	if err := smtp.SendMail(p.addr, nil, "app@example.com", []string{"ann@example.org"}, []byte(msg)); !errors.As(err, &tp) || tp.Code != 550 || !strings.HasPrefix(tp.Msg, "5.7.1") {
		t.Errorf("-like gmail: %v", err)
	}
	sb := newSandbox(t, p, `{"like": "postfix"}`)
	c, err := smtp.Dial(sb.SMTP)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		t.Fatal(err)
	}
	if ok, size := c.Extension("SIZE"); !ok || size != "10240000" {
		t.Errorf("a sandbox like postfix advertises SIZE %q", size)
	}
	q := start(t, "-quiet", "-like", "postfix", "-max-size", "2048")
	c2, err := smtp.Dial(q.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.Hello("client.example")
	if _, size := c2.Extension("SIZE"); size != "2048" {
		t.Errorf("-like postfix -max-size 2048 advertises SIZE %q", size)
	}
	if code, stderr := runBad(t, "-like", "exim"); code != 2 || !strings.Contains(stderr, "want postfix or gmail") {
		t.Errorf("-like exim: %d %s", code, stderr)
	}
}

// TestBounceFlag: -bounce accepts mail for the matching recipients, then
// a DSN comes back to this server, where the API lists it beside the
// message; a sandbox's bounce likewise, to the sandbox; bad flags are
// refused.
func TestBounceFlag(t *testing.T) {
	p := start(t, "-http", "127.0.0.1:0", "-quiet", "-bounce", "*@gone.example", "-bounce-reply", "552 5.2.2 Mailbox full")
	if err := smtp.SendMail(p.addr, nil, "app@example.com", []string{"ann@gone.example"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	code, body := do(t, "GET", p.api+"/api/messages/wait?count=2&timeout=20s", "")
	if code != http.StatusOK {
		t.Fatalf("waiting for the DSN: %d %s", code, body)
	}
	_, body = do(t, "GET", p.api+"/api/messages/2/raw", "")
	for _, want := range []string{"report-type=delivery-status", "Final-Recipient: rfc822; ann@gone.example", "Status: 5.2.2", "Diagnostic-Code: smtp; 552 5.2.2 Mailbox full"} {
		if !strings.Contains(body, want) {
			t.Errorf("the DSN lacks %q:\n%s", want, body)
		}
	}

	sb := newSandbox(t, p, `{"bounce": ["*@gone.example"], "bounce_reply": "450 4.2.1 Try later"}`)
	if err := smtp.SendMail(sb.SMTP, nil, "app@example.com", []string{"bob@gone.example"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	if code, body := do(t, "GET", sb.BaseURL+"/api/messages/wait?count=2&timeout=20s", ""); code != http.StatusOK {
		t.Fatalf("waiting for the sandbox's DSN: %d %s", code, body)
	}
	if _, body := do(t, "GET", sb.BaseURL+"/api/messages/2/raw", ""); !strings.Contains(body, "Action: delayed") || !strings.Contains(body, "bob@gone.example") {
		t.Errorf("the sandbox's DSN:\n%s", body)
	}
	if code, _ := do(t, "POST", p.api+"/api/sandboxes", `{"bounce": ["*@x"], "bounce_reply": "250 fine"}`); code != http.StatusBadRequest {
		t.Errorf("a sandbox bounce_reply of 250: %d", code)
	}
	for _, bad := range [][]string{
		{"-bounce-delay", "1s"},
		{"-bounce", "*@x", "-bounce-reply", "250 fine"},
		{"-bounce", "[x"},
		{"-bounce", "*@x", "-bounce-lmtp"},
	} {
		if code, stderr := runBad(t, bad...); code != 2 {
			t.Errorf("%v: exit %d %s", bad, code, stderr)
		}
	}
}

// TestAuthFlags: -token and -auth-mechanisms offer the OAuth and
// challenge-response mechanisms; a sandbox's tokens likewise; a
// mechanism nothing checks is refused.
func TestAuthFlags(t *testing.T) {
	p := start(t, "-http", "127.0.0.1:0", "-quiet", "-user", "app:s3cret", "-token", "app@example.com:ya29.t",
		"-auth-mechanisms", "CRAM-MD5,XOAUTH2,OAUTHBEARER")
	if err := smtp.SendMail(p.addr, smtp.CRAMMD5Auth("app", "s3cret"), "app@example.com", []string{"ann@example.org"}, []byte(msg)); err != nil {
		t.Errorf("CRAM-MD5: %v", err)
	}
	c, err := smtp.Dial(p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		t.Fatal(err)
	}
	if _, mechs := c.Extension("AUTH"); mechs != "CRAM-MD5 XOAUTH2 OAUTHBEARER" {
		t.Errorf("AUTH %q", mechs)
	}
	sb := newSandbox(t, p, `{"tokens": {"bob@example.com": "tok"}, "require_auth": true}`)
	sc, err := smtp.Dial(sb.SMTP)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	if err := sc.Hello("client.example"); err != nil {
		t.Fatal(err)
	}
	if _, mechs := sc.Extension("AUTH"); mechs != "XOAUTH2 OAUTHBEARER" {
		t.Errorf("a sandbox's AUTH %q", mechs)
	}
	if code, body := do(t, "POST", p.api+"/api/sandboxes", `{"auth_mechanisms": ["SCRAM-SHA-256"]}`); code != http.StatusBadRequest || !strings.Contains(body, "needs the Users table") {
		t.Errorf("a sandbox with SCRAM and no users: %d %s", code, body)
	}
	if code, stderr := runBad(t, "-auth-mechanisms", "DIGEST-MD5", "-user", "a:b"); code != 2 || !strings.Contains(stderr, "unknown mechanism") {
		t.Errorf("-auth-mechanisms DIGEST-MD5: %d %s", code, stderr)
	}
}
