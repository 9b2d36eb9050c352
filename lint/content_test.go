package lint

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
)

// contentHead is a complete header; the bodies follow.
const contentHead = "From: App <app@example.com>\r\nTo: ann@example.org\r\nSubject: Welcome\r\n" +
	"Date: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\nMIME-Version: 1.0\r\n"

// alternative is a message with a text and an HTML alternative.
func alternative(text, htmlBody string) string {
	return contentHead + "Content-Type: multipart/alternative; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n" +
		"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + htmlBody + "\r\n--b--\r\n"
}

// page is a complete HTML document around body.
func page(body string) string {
	return `<html lang="en"><body>` + body + `<p>` + strings.Repeat("Readable words for the reader. ", 5) + `</p></body></html>`
}

// related is a message whose HTML has an inline image part.
func related(htmlBody, contentID string) string {
	return contentHead + "Content-Type: multipart/related; boundary=r\r\n\r\n" +
		"--r\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nHello.\r\n--b\r\nContent-Type: text/html\r\n\r\n" + htmlBody + "\r\n--b--\r\n" +
		"--r\r\nContent-Type: image/png\r\nContent-ID: <" + contentID + ">\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0K\r\n--r--\r\n"
}

// TestContentRules: each content rule, where it must be reported and
// where it must not (its negative case differs by the defect alone).
func TestContentRules(t *testing.T) {
	good := alternative("Hello Ann, verify at https://app.example.com/v?t=1", page(`<a href="https://app.example.com/v?t=1">Verify</a> <img src="https://cdn.example.com/logo.png" alt="Logo">`))
	for _, c := range []struct {
		name      string
		rule      string
		bad, fine string
		opts      []Option // for bad
		fineOpts  []Option // for fine
	}{
		{"placeholder in the subject", "content/placeholder", strings.Replace(good, "Subject: Welcome", "Subject: Welcome, {{first_name}}", 1), good, nil, nil},
		{"placeholder in the text", "content/placeholder", strings.Replace(good, "Hello Ann", "Hello *|FNAME|*", 1), good, nil, nil},
		{"placeholder in the HTML", "content/placeholder", strings.Replace(good, "Verify</a>", "Verify, {% name %}</a>", 1), good, nil, nil},
		{"placeholder in an href", "content/placeholder", strings.Replace(good, `href="https://app.example.com/v?t=1"`, `href="${verifyURL}"`, 1), good, nil, nil},
		{"Mailgun's recipient variable", "content/placeholder", strings.Replace(good, "Hello Ann", "Hello %recipient.first%", 1), strings.Replace(good, "Hello Ann", "Hello 100% of recipients", 1), nil, nil},
		{"a link to localhost", "content/link-local", strings.ReplaceAll(good, "https://app.example.com", "http://localhost:3000"), good, nil, nil},
		{"a link to a private address", "content/link-local", strings.ReplaceAll(good, "app.example.com", "10.1.2.3"), good, nil, nil},
		{"a link to link-local", "content/link-local", strings.ReplaceAll(good, "app.example.com", "169.254.169.254"), good, nil, nil},
		{"a link under .test", "content/link-local", strings.ReplaceAll(good, "app.example.com", "staging.app.test"), good, nil, nil},
		{"an image on .local", "content/link-local", strings.Replace(good, "cdn.example.com", "nas.local", 1), good, nil, nil},
		{"AllowHosts", "content/link-local", strings.ReplaceAll(good, "app.example.com", "app.test"), strings.ReplaceAll(good, "app.example.com", "app.test"), []Option{AllowHosts("*.other", "app.tes")}, []Option{AllowHosts("*.other", "APP.test")}},
		{"AllowHosts *.", "content/link-local", strings.ReplaceAll(good, "app.example.com", "a.b.test"), strings.ReplaceAll(good, "app.example.com", "a.b.test"), nil, []Option{AllowHosts("*.test")}},
		{"a relative image", "content/link-relative", strings.Replace(good, `src="https://cdn.example.com/logo.png"`, `src="/logo.png"`, 1),
			strings.Replace(strings.Replace(good, `src="https://cdn.example.com/logo.png"`, `src="/logo.png"`, 1), "<body>", `<head><base href="https://cdn.example.com/"></head><body>`, 1), nil, nil},
		{"a fragment is no relative link", "content/link-relative", strings.Replace(good, `href="https://app.example.com/v?t=1"`, `href="verify.html"`, 1), strings.Replace(good, `Verify</a>`, `Verify</a> <a href="#top">Top</a>`, 1), nil, nil},
		{"javascript:", "content/link-javascript", strings.Replace(good, "Verify</a>", `Verify</a> <a href="javascript:alert(1)">x</a>`, 1), good, nil, nil},
		{"http: with RequireHTTPS", "content/link-http", strings.ReplaceAll(good, "https://app", "http://app"), strings.ReplaceAll(good, "https://app", "http://app"), []Option{RequireHTTPS()}, nil},
		{"a cid: with no part", "content/cid-missing", related(page(`<img src="cid:logo@x" alt="Logo">`), "other@x"), related(page(`<img src="cid:LOGO@x" alt="Logo">`), "logo@x"), nil, nil},
		{"an inline part never used", "content/cid-unused", related(page(`<p>no image</p>`), "logo@x"), related(page(`<img src="cid:logo@x" alt="Logo">`), "logo@x"), nil, nil},
		{"HTML alone", "content/html-only", contentHead + "Content-Type: text/html\r\n\r\n" + page("<p>Hi</p>") + "\r\n", good, nil, nil},
		{"alternatives that differ", "content/links-differ", alternative("Verify at https://app.example.com/v?t=2", page(`<a href="https://app.example.com/v?t=1">Verify</a>`)), good, nil, nil},
		{"link text of another domain", "content/link-text-mismatch", strings.Replace(good, ">Verify</a>", ">www.bank.com</a>", 1), strings.Replace(good, ">Verify</a>", ">app.example.com/v</a>", 1), nil, nil},
		{"images and no text", "content/image-only", alternative("Hi", `<html lang="en"><body><img src="https://cdn.example.com/a.png" alt="Sale"></body></html>`), good, nil, nil},
		{"an img without alt", "content/img-alt", strings.Replace(good, ` alt="Logo"`, "", 1), good, nil, nil},
		{"no lang", "content/lang-missing", strings.Replace(good, `<html lang="en">`, "<html>", 1), good, nil, nil},
		{"a script", "content/unsafe-element", strings.Replace(good, "</body>", "<script>track()</script></body>", 1), good, nil, nil},
		{"a form", "content/unsafe-element", strings.Replace(good, "</body>", `<form action="https://app.example.com/s"><input name="q"></form></body>`, 1), good, nil, nil},
		{"HTML Gmail clips", "content/html-clipped", alternative("Hi https://app.example.com/v?t=1", page(`<a href="https://app.example.com/v?t=1">Verify</a>`+strings.Repeat("<p>"+strings.Repeat("x", 70)+"</p>\r\n", 1500))), good, nil, nil},
		{"a tracking pixel", "content/tracking-pixel", strings.Replace(good, "</body>", `<img src="https://t.example.com/o.gif" width="1" height="1" alt="">`+"</body>", 1), good, nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !slices.Contains(rulesOf(Check([]byte(c.bad), c.opts...)), c.rule) {
				t.Errorf("%s not reported:\n%v", c.rule, Check([]byte(c.bad), c.opts...))
			}
			if got := rulesOf(Check([]byte(c.fine), c.fineOpts...)); slices.Contains(got, c.rule) {
				t.Errorf("%s reported where it must not be: %v", c.rule, Check([]byte(c.fine), c.fineOpts...))
			}
		})
	}
	// The complete message has nothing but the facts.
	for _, p := range Check([]byte(good)) {
		t.Errorf("the good message: %v", p)
	}
}

// rulesOf lists the rules of problems.
func rulesOf(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Rule)
	}
	return out
}

// TestContentEncodedParts: the content rules read a part decoded, and
// point at its first body line when it is encoded.
func TestContentEncodedParts(t *testing.T) {
	html := page(`<a href="http://localhost:8080/verify">Verify</a>`)
	msg := contentHead + "Content-Type: multipart/alternative; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nVerify at http://localhost:8080/ver=\r\nify\r\n" +
		"--b\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString([]byte(html)) + "\r\n--b--\r\n"
	var lines []int
	for _, p := range Check([]byte(msg)) {
		if p.Rule == "content/link-local" {
			lines = append(lines, p.Line)
		}
	}
	// Line 13: the text's body; 19: the HTML's (the header has 7 lines).
	if !slices.Equal(lines, []int{13, 19}) {
		t.Errorf("content/link-local on lines %v; want 13 and 19 (each part's first body line)", lines)
	}
}

// TestInfoIsNoError: an Info stays one under Strict.
func TestInfoIsNoError(t *testing.T) {
	msg := alternative("Hi https://app.example.com/", page(`<a href="https://app.example.com/">Go</a><img src="https://t.example.com/o.gif" width="1" height="1" alt="">`))
	for _, p := range Check([]byte(msg), Strict()) {
		if p.Rule == "content/tracking-pixel" && p.Severity != Info {
			t.Errorf("%v", p)
		}
	}
}

// TestMessageLarge: over 25 MB is reported, 25 MB itself is not.
func TestMessageLarge(t *testing.T) {
	body := strings.Repeat(strings.Repeat("x", 78)+"\r\n", (25<<20)/80-10)
	fits := contentHead + "Content-Type: text/plain\r\n\r\n" + body
	fits += strings.Repeat("y", (25<<20)-len(fits)-2) + "\r\n"
	if len(fits) != 25<<20 {
		t.Fatalf("%d bytes", len(fits))
	}
	if got := rulesOf(Check([]byte(fits))); slices.Contains(got, "content/message-large") {
		t.Errorf("25 MB: %v", got)
	}
	if got := rulesOf(Check([]byte(fits + "z\r\n"))); !slices.Contains(got, "content/message-large") {
		t.Errorf("25 MB and 3 bytes: %v", got)
	}
}
