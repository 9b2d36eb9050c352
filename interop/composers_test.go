package interop

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/assert"
)

// Composing libraries in other languages, each sending a complete
// message: a UTF-8 subject, a text and an HTML alternative, an inline
// image the HTML shows by cid:, and an attachment with a non-ASCII name.
// lint must find no Error in it, or the Errors pinned below, each a true
// positive with its clause. The scripts are in interop/composers.

const (
	composedHTML = `<p>HTML body with <b>café</b> and <img src="cid:logo@interop.example" alt="logo"></p>`
	composedName = "résumé ✓.pdf"
	logoCID      = "logo@interop.example"
)

// logoPNG is the inline image: a PNG signature and a few bytes.
var logoPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")

// compose runs a composing script (interop/composers/script) with prog
// against srv, then checks what arrived and which lint Errors it has.
func compose(t *testing.T, client, prog, script string, wantErrs ...string) *smtptest.Message {
	t.Helper()
	srv := smtptest.NewServer(t)
	host, port := hostPort(t, srv)
	dir := t.TempDir()
	image, att := filepath.Join(dir, "logo.png"), filepath.Join(dir, "attachment.pdf")
	must(t, os.WriteFile(image, logoPNG, 0o600))
	must(t, os.WriteFile(att, attData, 0o600))
	script, err := filepath.Abs(filepath.Join("composers", script))
	must(t, err)
	run(t, prog, script, host, strconv.Itoa(port), subject(client), textBody, composedHTML, image, att, composedName)

	assert.Delivered(t, srv, assert.Mail{
		From:    sender,
		To:      []string{recipient},
		Subject: subject(client),
		Text:    assert.Containing("Plain text body with café."),
		HTML:    assert.Containing(`<img src="cid:` + logoCID + `"`),
	})
	m := srv.Messages()[0]
	atts, err := m.Attachments()
	if err != nil {
		t.Fatalf("Attachments: %v", err)
	}
	var logo, named bool
	for _, a := range atts {
		switch {
		case a.ContentID == logoCID && string(a.Data) == string(logoPNG):
			logo = true
		case a.Filename == composedName && string(a.Data) == string(attData):
			named = true
		}
	}
	if !logo || !named {
		t.Errorf("inline image found: %v, attachment %q found: %v; attachments:", logo, composedName, named)
		for _, a := range atts {
			t.Errorf("  %q %s cid %q %d bytes", a.Filename, a.ContentType, a.ContentID, a.Size)
		}
	}
	wantErrors(t, m, wantErrs...)
	if t.Failed() {
		t.Logf("the message:\n%s", m.Data)
	}
	return m
}

func TestNodemailer(t *testing.T) {
	node := program(t, "node", "nodejs")
	if _, err := os.Stat("composers/node_modules/nodemailer/package.json"); err != nil {
		t.Fatalf("nodemailer is not installed: run npm ci in interop/composers (.ci/run does): %v", err)
	}
	m := compose(t, "nodemailer", node, "send.mjs")
	// nodemailer writes List-Unsubscribe with a comment, as its
	// documentation shows and RFC 2369 3.2 allows: lint called it an
	// Error once.
	if !strings.Contains(string(m.Data), "> (Unsubscribe)") {
		t.Errorf("nodemailer's List-Unsubscribe has no comment any more:\n%s", m.Data)
	}
}

func TestPerlMIMETools(t *testing.T) {
	perl := program(t, "perl", "perl")
	// A true positive: MIME-tools 5.510 writes the attachment's name as
	// raw UTF-8 in quotes (name="résumé ✓.pdf", filename= likewise), and
	// Net::SMTP sends it without SMTPUTF8: raw 8-bit header bytes (RFC
	// 6532 3.2; RFC 2231 is the way to encode a parameter).
	compose(t, "MIME-tools", perl, "send.pl", "header/8bit", "header/8bit")
}

func TestRubyMail(t *testing.T) {
	ruby := program(t, "ruby", "ruby-mail")
	compose(t, "ruby mail", ruby, "send.rb")
}

func TestPHPMailer(t *testing.T) {
	php := program(t, "php", "php-cli and libphp-phpmailer")
	compose(t, "PHPMailer", php, "send.php")
}
