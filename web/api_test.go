package web

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"runtime"
	"strings"
	"testing"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/internal/jsonview"
)

// apiServer starts a library server and the API in-process.
func apiServer(t *testing.T, opts ...smtptest.Option) (*smtptest.Server, http.Handler) {
	t.Helper()
	srv, err := smtptest.Start(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	site := Handler(srv, &Options{Addr: "127.0.0.1:8025"})
	t.Cleanup(site.Close)
	return srv, site
}

// get serves one request in-process and returns the status and body.
func get(h http.Handler, method, target string, header http.Header, body string) (int, string) {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Host = "127.0.0.1:8025"
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestAPIReadsCostWhatTheyReturn stores 20 messages of 1 MiB: a list must
// not copy their bodies, and reading one must copy that one.
func TestAPIReadsCostWhatTheyReturn(t *testing.T) {
	srv, h := apiServer(t)
	body := "Subject: big\r\n\r\n" + strings.Repeat(strings.Repeat("x", 1022)+"\r\n", 1024)
	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if err := sendOn(c, "a@example.com", []string{"b@example.org"}, body); err != nil {
			t.Fatal(err)
		}
	}
	c.Quit()
	const mib = 1 << 20
	if n := allocated(func() { get(h, "GET", "/api/messages", nil, "") }); n > mib/4 {
		t.Errorf("GET /api/messages allocated %d bytes for 20 messages of 1 MiB: it copies the bodies", n)
	}
	if n := allocated(func() { get(h, "GET", "/api/messages/wait?count=20", nil, "") }); n > mib/4 {
		t.Errorf("GET /api/messages/wait allocated %d bytes: it copies the bodies", n)
	}
	if n := allocated(func() { get(h, "GET", "/api/messages/7/raw", nil, "") }); n > 6*mib { // the copy, the recorder's buffer, the race detector
		t.Errorf("GET /api/messages/7/raw allocated %d bytes: more than that message", n)
	}
	if code, raw := get(h, "GET", "/api/messages/7/raw", nil, ""); code != 200 || raw != body {
		t.Errorf("raw: %d, %d bytes", code, len(raw))
	}
}

func TestAPIIDsAndAttachments(t *testing.T) {
	srv, h := apiServer(t)
	multipart := "From: app@example.com\r\nSubject: att\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nHello\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"r\u00e9sum\u00e9.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n"
	for range 2 {
		if err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte(multipart)); err != nil {
			t.Fatal(err)
		}
	}
	code, _ := get(h, "DELETE", "/api/messages", nil, "")
	if code != 204 {
		t.Fatalf("DELETE: %d", code)
	}
	if err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte(multipart)); err != nil {
		t.Fatal(err)
	}
	// IDs go on after DELETE: the new message is 3, and 1 is gone.
	_, list := get(h, "GET", "/api/messages", nil, "")
	var sums []jsonview.Summary
	if err := json.Unmarshal([]byte(list), &sums); err != nil || len(sums) != 1 || sums[0].ID != 3 {
		t.Fatalf("list after DELETE: %s", list)
	}
	if code, body := get(h, "GET", "/api/messages/1", nil, ""); code != 404 || !strings.Contains(body, "no message 1") {
		t.Errorf("message 1 after DELETE: %d %s", code, body)
	}
	if code, _ := get(h, "GET", "/api/messages/3", nil, ""); code != 200 {
		t.Errorf("message 3: %d", code)
	}
	req := httptest.NewRequest("GET", "/api/messages/3/attachments/1", nil)
	req.Host = "localhost:8025"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Body.String() != "%PDF-1.4\n" || rec.Header().Get("Content-Type") != "application/pdf" ||
		rec.Header().Get("Content-Disposition") != "attachment; filename=r_sum_.pdf; filename*=utf-8''r%C3%A9sum%C3%A9.pdf" {
		t.Errorf("attachment: %d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}
	if code, body := get(h, "GET", "/api/messages/3/attachments/2", nil, ""); code != 404 || !strings.Contains(body, "has 1") {
		t.Errorf("attachment 2: %d %s", code, body)
	}
}

// TestAPIGuard: a web page the developer opens must not drive the API.
func TestAPIGuard(t *testing.T) {
	_, h := apiServer(t)
	for _, tc := range []struct {
		name   string
		method string
		host   string
		header http.Header
		want   int
	}{
		{"loopback address", "GET", "127.0.0.1:8025", nil, 200},
		{"localhost", "GET", "localhost:8025", nil, 200},
		{"IPv6 loopback", "GET", "[::1]:8025", nil, 200},
		{"a .localhost name", "GET", "app.localhost:8025", nil, 200},
		{"DNS rebinding", "GET", "evil.example:8025", nil, 403},
		{"DNS rebinding without port", "GET", "evil.example", nil, 403},
		{"another machine's address", "GET", "192.0.2.7:8025", nil, 403},
		{"foreign Origin, simple POST", "POST", "127.0.0.1:8025", http.Header{"Origin": {"http://evil.example"}, "Content-Type": {"text/plain"}}, 403},
		{"null Origin", "DELETE", "127.0.0.1:8025", http.Header{"Origin": {"null"}}, 403},
		{"cross-site fetch", "DELETE", "127.0.0.1:8025", http.Header{"Sec-Fetch-Site": {"cross-site"}}, 403},
		{"same Origin", "POST", "127.0.0.1:8025", http.Header{"Origin": {"http://127.0.0.1:8025"}}, 201},
		{"another local server's page", "POST", "127.0.0.1:8025", http.Header{"Origin": {"http://127.0.0.1:3000"}}, 403},
		{"another local server's page, by Sec-Fetch-Site", "DELETE", "127.0.0.1:8025", http.Header{"Sec-Fetch-Site": {"same-site"}}, 403},
		{"localhost page for a 127.0.0.1 request", "POST", "127.0.0.1:8025", http.Header{"Origin": {"http://localhost:8025"}}, 403},
		{"no Origin (curl)", "POST", "127.0.0.1:8025", nil, 201},
		{"foreign Origin, read", "GET", "127.0.0.1:8025", http.Header{"Origin": {"http://evil.example"}}, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := "/api/messages"
			if tc.method == "POST" {
				target = "/api/faults"
			}
			req := httptest.NewRequest(tc.method, target, strings.NewReader("rcpt reply 550 no"))
			req.Host = tc.host
			for k, v := range tc.header {
				req.Header[k] = v
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("%s %s Host %s %v: %d %s, want %d", tc.method, target, tc.host, tc.header, rec.Code, rec.Body, tc.want)
			}
		})
	}
	// Listening on all interfaces, any address is this server.
	g := newHostGuard("0.0.0.0:8025")
	if !g.allowed("192.0.2.7:8025") || g.allowed("evil.example") {
		t.Error("guard of 0.0.0.0")
	}
}

func TestAPIBoundsRequests(t *testing.T) {
	_, h := apiServer(t)
	if code, body := get(h, "POST", "/api/faults", nil, "rcpt reply 550 "+strings.Repeat("x", 64<<10)); code != 400 || !strings.Contains(body, "at most 4096 bytes") {
		t.Errorf("a 64 KiB fault: %d %.200s", code, body)
	}
	if code, _ := get(h, "GET", "/api/messages/wait?count=1&timeout=1h", nil, ""); code != 400 {
		t.Errorf("a wait of an hour: %d", code)
	}
	if code, body := get(h, "POST", "/api/faults", nil, "rcpt reply 550 bo\xc3\xaete pleine"); code != 400 || !strings.Contains(body, "non-ASCII") {
		t.Errorf("a non-ASCII fault text: %d %s", code, body)
	}
	// At most maxFaults in force; the next is refused until one goes.
	for i := range maxFaults {
		if code, body := get(h, "POST", "/api/faults", nil, fmt.Sprintf("rcpt user%d@example.org reply 550 no", i)); code != 201 {
			t.Fatalf("fault %d: %d %s", i+1, code, body)
		}
	}
	if code, body := get(h, "POST", "/api/faults", nil, "rcpt reply 550 one too many"); code != http.StatusTooManyRequests || !strings.Contains(body, "remove one first") {
		t.Errorf("fault %d: %d %s", maxFaults+1, code, body)
	}
	if code, body := get(h, "PUT", "/api/v1/chaos", nil, `{"Recipient": {"ErrorCode": 451, "Probability": 50}}`); code != 400 {
		t.Errorf("chaos past the limit: %d %s", code, body)
	}
	get(h, "DELETE", "/api/faults/1", nil, "")
	if code, body := get(h, "POST", "/api/faults", nil, "rcpt reply 550 now it fits"); code != 201 {
		t.Errorf("after removing one: %d %s", code, body)
	}
}

// TestContentDisposition: a name that is not ASCII goes out with an ASCII
// filename= fallback first and filename*= after it (RFC 6266 4.3), and
// both read back with mime.ParseMediaType as the UTF-8 name.
func TestContentDisposition(t *testing.T) {
	for name, want := range map[string]string{
		"report.pdf":        `attachment; filename=report.pdf`,
		"Rechnung März.pdf": `attachment; filename="Rechnung M_rz.pdf"; filename*=utf-8''Rechnung%20M%C3%A4rz.pdf`,
		`a "quoted"/name`:   `attachment; filename="a \"quoted\"/name"`,
		"":                  `attachment`,
	} {
		got := contentDisposition("attachment", name)
		if got != want {
			t.Errorf("contentDisposition(%q) = %s; want %s", name, got, want)
		}
		if name == "" {
			continue
		}
		if _, params, err := mime.ParseMediaType(got); err != nil || params["filename"] != name {
			t.Errorf("%s parses as %q, %v; want %q", got, params["filename"], err, name)
		}
	}
}
