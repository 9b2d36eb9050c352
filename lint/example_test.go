package lint_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/smtptest/smtptest/dkimtest"
	"github.com/smtptest/smtptest/lint"
)

// Check reports what a receiver would object to, line by line.
func ExampleCheck() {
	msg := "From: App <app@example.com>\n" + // bare LF line endings
		"To: ann@example.org\n" +
		"Subject: Café\n" + // raw 8-bit, not RFC 2047-encoded
		"\n" +
		"Hello.\n"
	for _, p := range lint.Check([]byte(msg)) {
		fmt.Println(p)
	}
	// Output:
	// error header/date-missing (RFC 5322 3.6): the message has no Date field
	// warning header/message-id-missing (RFC 5322 3.6.4): the message has no Message-ID (a SHOULD of RFC 5322 3.6.4, but Gmail rejects mail without one from bulk senders; a submission server may add one)
	// line 1: error line/bare-lf (RFC 5322 2.3): line ends in a bare LF instead of CRLF: "From: App <app@example.com>\n" (and 4 more)
	// line 3: error header/8bit (RFC 6532 3.2): Subject has raw non-ASCII bytes "Café"; encode it (RFC 2047) or send over SMTPUTF8
}

// The bulk-sender profile requires one-click unsubscription (RFC 8058)
// and a DKIM signature.
func ExampleBulkSender() {
	msg := "Date: Tue, 01 Dec 2026 20:00:00 +0000\r\n" +
		"From: News <news@example.com>\r\n" +
		"To: ann@example.org\r\n" +
		"Subject: This week\r\n" +
		"Message-ID: <week49@example.com>\r\n" +
		"List-Unsubscribe: <mailto:unsubscribe@example.com>\r\n" +
		"\r\n" +
		"News.\r\n"
	fmt.Println(len(lint.Check([]byte(msg))), "problems by default")
	for _, p := range lint.Check([]byte(msg), lint.BulkSender()) {
		fmt.Println(p.Rule, p.Severity)
	}
	// Output:
	// 0 problems by default
	// dkim/missing error
	// list/one-click-missing error
}

// With the signer's keys, the bulk-sender profile verifies the DKIM
// signatures: here the body changed after signing, and the signature that
// covers it is the only one aligned with From.
func ExampleDKIMKeys() {
	key, err := dkimtest.GenerateKey("example.com", "news", dkimtest.Ed25519)
	if err != nil {
		panic(err)
	}
	keys := new(dkimtest.Keys)
	keys.Add(key)
	msg := "Date: Tue, 01 Dec 2026 20:00:00 +0000\r\n" +
		"From: News <news@example.com>\r\n" +
		"To: ann@example.org\r\n" +
		"Subject: This week\r\n" +
		"Message-ID: <week49@example.com>\r\n" +
		"List-Unsubscribe: <https://example.com/u/ann>\r\n" +
		"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" +
		"\r\n" +
		"News.\r\n"
	var signed bytes.Buffer
	if err := dkim.Sign(&signed, strings.NewReader(msg), &dkim.SignOptions{Domain: "example.com", Selector: "news", Signer: key.Signer}); err != nil {
		panic(err)
	}
	fmt.Println(len(lint.Check(signed.Bytes(), lint.BulkSender(), lint.DKIMKeys(keys), lint.Ignore("line/long"))), "problems as signed")

	changed := bytes.Replace(signed.Bytes(), []byte("News."), []byte("Old news."), 1)
	for _, p := range lint.Check(changed, lint.BulkSender(), lint.DKIMKeys(keys), lint.Ignore("line/long")) {
		fmt.Println(p.Rule, p.Severity)
	}
	// Output:
	// 0 problems as signed
	// dkim/invalid error
	// dkim/not-aligned error
}

// The content rules read what the reader will see: here a link to the
// developer's machine and a placeholder the template never filled in.
// AllowHosts lets a test's own host through.
func ExampleAllowHosts() {
	msg := "Date: Fri, 04 Dec 2026 10:00:00 +0000\r\n" +
		"From: App <app@example.com>\r\n" +
		"To: ann@example.org\r\n" +
		"Subject: Welcome, {{name}}\r\n" +
		"Message-ID: <1@example.com>\r\n" +
		"\r\n" +
		"Verify your address: http://localhost:3000/verify?t=1\r\n"
	for _, p := range lint.Check([]byte(msg)) {
		fmt.Println(p)
	}
	fmt.Println("with AllowHosts:", len(lint.Check([]byte(msg), lint.AllowHosts("localhost"))), "problem")
	// Output:
	// line 4: error content/placeholder (smtptest content): the Subject has an unrendered placeholder "{{name}}" (Mustache, Handlebars, Go and Jinja): the template was not filled in
	// line 7: error content/link-local (RFC 6761 6, RFC 1918): "http://localhost:3000/verify?t=1" leads to localhost: no reader can reach it (a test or staging address left in?)
	// with AllowHosts: 1 problem
}

// RequireHTTPS is a policy: every link https.
func ExampleRequireHTTPS() {
	msg := "Date: Fri, 04 Dec 2026 10:00:00 +0000\r\n" +
		"From: App <app@example.com>\r\n" +
		"To: ann@example.org\r\n" +
		"Subject: Welcome\r\n" +
		"Message-ID: <1@example.com>\r\n" +
		"\r\n" +
		"Verify your address: http://app.example.com/verify?t=1\r\n"
	for _, p := range lint.Check([]byte(msg), lint.RequireHTTPS()) {
		fmt.Println(p)
	}
	// Output:
	// line 7: warning content/link-http (policy (RequireHTTPS)): "http://app.example.com/verify?t=1" is http: RequireHTTPS wants https
}

// Clients holds the HTML to what the readers' mail clients support, by
// the caniemail data set.
func ExampleClients() {
	msg := "Date: Fri, 04 Dec 2026 10:00:00 +0000\r\n" +
		"From: App <app@example.com>\r\n" +
		"To: ann@example.org\r\n" +
		"Subject: Welcome\r\n" +
		"Message-ID: <1@example.com>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/alternative; boundary=b\r\n" +
		"\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nWelcome, Ann.\r\n" +
		"--b\r\nContent-Type: text/html\r\n\r\n" +
		`<html lang="en"><body><div style="display: flex">` + strings.Repeat("Welcome, Ann. ", 10) + "</div></body></html>\r\n" +
		"--b--\r\n"
	for _, p := range lint.Check([]byte(msg), lint.Clients("outlook.windows")) {
		fmt.Println(p)
	}
	// Output:
	// line 16: part 2: warning content/client-support (caniemail.com): display:flex is not supported by Outlook Windows 2019: https://www.caniemail.com/features/css-display-flex/
	// line 16: part 2: warning content/client-support (caniemail.com): display is supported only in part by Outlook Windows 2019: https://www.caniemail.com/features/css-display/
}

// ClientNames are the names Clients takes.
func ExampleClientNames() {
	names := lint.ClientNames()
	fmt.Println(len(names) > 50, slices.Contains(names, "outlook.windows"), slices.Contains(names, "gmail"))
	// Output: true true true
}

// HTMLFeatures lists what of the caniemail data set a message's HTML
// uses: the facts behind Clients, for a report of one's own.
func ExampleHTMLFeatures() {
	msg := "Subject: Hi\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n" +
		`<div style="display: flex; border-radius: 4px">Hi</div>` + "\r\n"
	for _, f := range lint.HTMLFeatures([]byte(msg)) {
		no := 0
		for _, s := range f.Support {
			if s.Client == "outlook.windows" && s.Level == "n" {
				no++
			}
		}
		fmt.Printf("%s (%s), used %d time(s); Outlook for Windows versions without it: %d\n", f.Title, f.Category, f.Found, no)
	}
	// Output:
	// border-radius (css), used 1 time(s); Outlook for Windows versions without it: 6
	// display:flex (css), used 1 time(s); Outlook for Windows versions without it: 5
	// display (css), used 1 time(s); Outlook for Windows versions without it: 0
	// px unit (css), used 1 time(s); Outlook for Windows versions without it: 0
	// <div> element (html), used 1 time(s); Outlook for Windows versions without it: 0
}

// MailFrom gives lint the envelope's sender, so that the bulk-sender
// profile judges the SPF side of DMARC alignment without DNS.
func ExampleMailFrom() {
	msg := "Date: Fri, 04 Dec 2026 10:00:00 +0000\r\n" +
		"From: News <news@example.com>\r\n" +
		"To: ann@example.org\r\n" +
		"Subject: This week\r\n" +
		"Message-ID: <w49@example.com>\r\n" +
		"\r\n" +
		"News.\r\n"
	for _, p := range lint.Check([]byte(msg), lint.BulkSender(), lint.MailFrom("bounces@esp.example.net"), lint.Ignore("list/unsubscribe-missing", "list/one-click-missing", "dkim/missing")) {
		fmt.Println(p)
	}
	// Output:
	// line 2: warning dmarc/spf-not-aligned (RFC 7489 3.1.2): the MAIL FROM domain esp.example.net is not aligned with the From domain example.com: SPF cannot pass DMARC for this mail, only an aligned DKIM signature can (use a return path under example.com)
}
