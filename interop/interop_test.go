package interop

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"net"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
	"github.com/jordan-wright/email"
	gomail "github.com/wneessen/go-mail"
	simplemail "github.com/xhit/go-simple-mail/v2"
	"go.uber.org/goleak"
	gomailv2 "gopkg.in/gomail.v2"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/assert"
	"github.com/smtptest/smtptest/lint"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// What every client sends: a UTF-8 subject, a text and an HTML body, and a
// binary attachment.
const (
	sender    = "sender@example.com"
	recipient = "rcpt@example.org"
	textBody  = "Plain text body with café.\n"
	htmlBody  = "<p>HTML body with <b>café</b></p>"
	attName   = "report.pdf"
)

var attData = []byte("%PDF-1.4\n\x00\x01\xfe\xff binary \r\n.\r\n data")

// subject is the subject each client uses: its name and non-ASCII text.
func subject(client string) string { return "Interop ✓ " + client }

// want is the message each client must have delivered; html and att say
// whether the client sent those parts.
func want(client string, html, att bool) assert.Mail {
	m := assert.Mail{
		From:    sender,
		To:      []string{recipient},
		Subject: subject(client),
		Text:    assert.Containing("Plain text body with café."),
	}
	if html {
		m.HTML = assert.Containing("HTML body with <b>café</b>")
	}
	if att {
		m.Attachments = []smtptest.Attachment{{Filename: attName, ContentType: "application/pdf", Data: attData}}
	}
	return m
}

// hostPort splits the server's address.
func hostPort(t *testing.T, srv *smtptest.Server) (string, int) {
	t.Helper()
	host, p, err := net.SplitHostPort(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(p)
	return host, port
}

// rawMIME builds the message by hand, for the clients that send bytes.
func rawMIME(client string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Date: %s\r\nMessage-ID: <%d.interop@example.com>\r\n", time.Now().Format(time.RFC1123Z), time.Now().UnixNano())
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nMIME-Version: 1.0\r\n", sender, recipient, mime.QEncoding.Encode("utf-8", subject(client)))
	b.WriteString("Content-Type: multipart/mixed; boundary=outer\r\n\r\n")
	b.WriteString("--outer\r\nContent-Type: multipart/alternative; boundary=alt\r\n\r\n")
	b.WriteString("--alt\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + strings.ReplaceAll(textBody, "\n", "\r\n"))
	b.WriteString("--alt\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>HTML body with <b>caf=C3=A9</b></p>\r\n")
	b.WriteString("--alt--\r\n")
	b.WriteString("--outer\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"" + attName + "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	b.WriteString(base64.StdEncoding.EncodeToString(attData) + "\r\n")
	b.WriteString("--outer--\r\n")
	return b.Bytes()
}

func TestNetSMTP(t *testing.T) {
	srv := smtptest.NewServer(t)
	if err := smtp.SendMail(srv.Addr(), nil, sender, []string{recipient}, rawMIME("net/smtp")); err != nil {
		t.Fatal(err)
	}
	assert.Delivered(t, srv, want("net/smtp", true, true))
	assert.WellFormed(t, srv) // no false positive: a complete message has no Error
}

func TestGoSMTPClient(t *testing.T) {
	srv := smtptest.NewServer(t)
	c, err := gosmtp.Dial(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendMail(sender, []string{recipient}, bytes.NewReader(rawMIME("go-smtp"))); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	assert.Delivered(t, srv, want("go-smtp", true, true))
	assert.WellFormed(t, srv) // no false positive: a complete message has no Error

	// BDAT (CHUNKING): go-smtp's client uses it when offered? It does not;
	// drive it by hand so the interop covers both DATA and BDAT.
	srv.Reset()
	nc, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	msg := rawMIME("BDAT")
	script := fmt.Sprintf("EHLO client.example\r\nMAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nBDAT %d\r\n%sBDAT %d LAST\r\n%sQUIT\r\n",
		sender, recipient, 100, msg[:100], len(msg)-100, msg[100:])
	nc.Write([]byte(script))
	nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	io.Copy(io.Discard, nc)
	assert.Delivered(t, srv, want("BDAT", true, true))
	assert.WellFormed(t, srv) // no false positive: a complete message has no Error
}

func TestWneessenGoMail(t *testing.T) {
	srv := smtptest.NewServer(t)
	host, port := hostPort(t, srv)
	m := gomail.NewMsg()
	must(t, m.From(sender))
	must(t, m.To(recipient))
	m.Subject(subject("go-mail"))
	m.SetBodyString(gomail.TypeTextPlain, textBody)
	m.AddAlternativeString(gomail.TypeTextHTML, htmlBody)
	must(t, m.AttachReader(attName, bytes.NewReader(attData), gomail.WithFileContentType("application/pdf")))
	c, err := gomail.NewClient(host, gomail.WithPort(port), gomail.WithTLSPolicy(gomail.NoTLS), gomail.WithHELO("go-mail.example"))
	must(t, err)
	must(t, c.DialAndSend(m))
	assert.Delivered(t, srv, want("go-mail", true, true))
	goMailWellFormed(t, srv.Messages()[0])
	if got := srv.Messages()[0].Helo; got != "go-mail.example" {
		t.Errorf("Helo = %q", got)
	}
}

// TestGoMailTLS: go-mail with STARTTLS required, trusting the server's
// test certificate, as ExampleServer_Host shows it.
func TestGoMailTLS(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.StartTLS())
	m := gomail.NewMsg()
	must(t, m.From(sender))
	must(t, m.To(recipient))
	m.Subject(subject("go-mail TLS"))
	m.SetBodyString(gomail.TypeTextPlain, textBody)
	c, err := gomail.NewClient(srv.Host(), gomail.WithPort(srv.Port()),
		gomail.WithTLSPolicy(gomail.TLSMandatory), gomail.WithTLSConfig(srv.ClientTLSConfig()))
	must(t, err)
	must(t, c.DialAndSend(m))
	msgs := srv.Messages()
	if len(msgs) != 1 || msgs[0].TLS == nil {
		t.Fatalf("messages %v; want one, over TLS", msgs)
	}
}

func TestGomailV2(t *testing.T) {
	srv := smtptest.NewServer(t)
	host, port := hostPort(t, srv)
	m := gomailv2.NewMessage()
	m.SetHeader("From", sender)
	m.SetHeader("To", recipient)
	m.SetHeader("Subject", subject("gomail.v2"))
	m.SetBody("text/plain", textBody)
	m.AddAlternative("text/html", htmlBody)
	m.Attach(attName, gomailv2.SetCopyFunc(func(w io.Writer) error {
		_, err := w.Write(attData)
		return err
	}), gomailv2.SetHeader(map[string][]string{"Content-Type": {"application/pdf"}}))
	d := gomailv2.Dialer{Host: host, Port: port, LocalName: "gomail.example"}
	must(t, d.DialAndSend(m))
	assert.Delivered(t, srv, want("gomail.v2", true, true))
	assert.WellFormed(t, srv) // no false positive: a complete message has no Error
}

func TestJordanWrightEmail(t *testing.T) {
	srv := smtptest.NewServer(t)
	e := email.NewEmail()
	e.From = sender
	e.To = []string{recipient}
	e.Subject = subject("jordan-wright/email")
	e.Text = []byte(textBody)
	e.HTML = []byte(htmlBody)
	_, err := e.Attach(bytes.NewReader(attData), attName, "application/pdf")
	must(t, err)
	must(t, e.Send(srv.Addr(), nil))
	assert.Delivered(t, srv, want("jordan-wright/email", true, true))
	assert.WellFormed(t, srv) // no false positive: a complete message has no Error
}

func TestXhitGoSimpleMail(t *testing.T) {
	srv := smtptest.NewServer(t)
	host, port := hostPort(t, srv)
	server := simplemail.NewSMTPClient()
	server.Host, server.Port, server.Encryption = host, port, simplemail.EncryptionNone
	server.ConnectTimeout, server.SendTimeout = 20*time.Second, 20*time.Second
	client, err := server.Connect()
	must(t, err)
	defer client.Close()
	m := simplemail.NewMSG().SetFrom(sender).AddTo(recipient).SetSubject(subject("go-simple-mail"))
	m.SetBody(simplemail.TextPlain, textBody)
	m.AddAlternative(simplemail.TextHTML, htmlBody)
	m.Attach(&simplemail.File{Name: attName, MimeType: "application/pdf", Data: attData})
	must(t, m.Error)
	must(t, m.Send(client))
	assert.Delivered(t, srv, want("go-simple-mail", true, true))
	assert.WellFormed(t, srv) // no false positive: a complete message has no Error
}

// External programs. A missing program fails the test: .ci/run installs
// them (Debian packages curl, python3, swaks, tcllib).

func program(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is needed (Debian package %s): %v", name, pkg, err)
	}
	return p
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", filepath.Base(name), err, out)
	}
}

func TestPythonSmtplib(t *testing.T) {
	python := program(t, "python3", "python3")
	srv := smtptest.NewServer(t)
	host, port := hostPort(t, srv)
	att := filepath.Join(t.TempDir(), attName)
	must(t, os.WriteFile(att, attData, 0o600))
	script := `
import smtplib, sys
from email.message import EmailMessage
host, port, att, subject, text, html = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
msg = EmailMessage()
msg["From"] = "sender@example.com"
msg["To"] = "rcpt@example.org"
msg["Subject"] = subject
msg.set_content(text)
msg.add_alternative(html, subtype="html")
with open(att, "rb") as f:
    msg.add_attachment(f.read(), maintype="application", subtype="pdf", filename="report.pdf")
with smtplib.SMTP(host, port, local_hostname="python.example", timeout=30) as s:
    s.send_message(msg)
`
	run(t, python, "-c", script, host, strconv.Itoa(port), att, subject("smtplib"), textBody, htmlBody)
	assert.Delivered(t, srv, want("smtplib", false, true)) // the HTML becomes an alternative of the text: checked below
	m := srv.Messages()[0]
	if html, err := m.HTMLBody(); err != nil || !strings.Contains(html, "HTML body with <b>café</b>") {
		t.Errorf("HTMLBody() = %q, %v", html, err)
	}
	if m.Helo != "python.example" {
		t.Errorf("Helo = %q", m.Helo)
	}
}

func TestCurl(t *testing.T) {
	curl := program(t, "curl", "curl")
	srv := smtptest.NewServer(t)
	msg := filepath.Join(t.TempDir(), "msg.eml")
	must(t, os.WriteFile(msg, rawMIME("curl"), 0o600))
	run(t, curl, "--silent", "--show-error", "--url", "smtp://"+srv.Addr()+"/curl.example",
		"--mail-from", sender, "--mail-rcpt", recipient, "--upload-file", msg)
	assert.Delivered(t, srv, want("curl", true, true))
	assert.WellFormed(t, srv) // no false positive: a complete message has no Error
	if m := srv.Messages()[0]; m.Helo != "curl.example" {
		t.Errorf("Helo = %q", m.Helo)
	}
}

func TestSwaks(t *testing.T) {
	swaks := program(t, "swaks", "swaks")
	srv := smtptest.NewServer(t)
	host, port := hostPort(t, srv)
	att := filepath.Join(t.TempDir(), attName)
	must(t, os.WriteFile(att, attData, 0o600))
	run(t, swaks, "--server", host, "--port", strconv.Itoa(port), "--helo", "swaks.example",
		"--from", sender, "--to", recipient,
		"--header", "Subject: "+mime.QEncoding.Encode("utf-8", subject("swaks")),
		"--add-header", "Content-Type: text/plain; charset=utf-8",
		"--body", textBody,
		"--attach-type", "application/pdf", "--attach-name", attName, "--attach", "@"+att)
	assert.Delivered(t, srv, want("swaks", false, true))
	// A true positive, not a false one: swaks puts --body into a part
	// without Content-Transfer-Encoding (7bit) and does not encode it, so
	// "café" is 8-bit data in a 7bit part, sent without BODY=8BITMIME.
	wantErrors(t, srv.Messages()[0], "body/8bit")
}

// wantErrors checks that the Error problems lint finds in m are exactly
// these rules (a client's known defect).
func wantErrors(t *testing.T, m *smtptest.Message, rules ...string) {
	t.Helper()
	var got []string
	for _, p := range m.Lint() {
		if p.Severity == lint.Error {
			got = append(got, p.Rule)
		}
	}
	if !slices.Equal(got, rules) {
		t.Errorf("lint errors %q, want %q:\n%v", got, rules, m.Lint())
	}
}

func TestTclSMTP(t *testing.T) {
	tclsh := program(t, "tclsh", "tcl (and tcllib)")
	srv := smtptest.NewServer(t)
	host, port := hostPort(t, srv)
	att := filepath.Join(t.TempDir(), attName)
	must(t, os.WriteFile(att, attData, 0o600))
	script := `
package require mime
package require smtp
lassign $argv host port att subject text multipart
set msg [mime::initialize -canonical "text/plain; charset=utf-8" -encoding 8bit -string $text]
if {$multipart} {
    set file [mime::initialize -canonical "application/pdf; name=\"report.pdf\"" -encoding base64 -file $att \
        -header [list Content-Disposition "attachment; filename=\"report.pdf\""]]
    set msg [mime::initialize -canonical multipart/mixed -parts [list $msg $file]]
}
mime::setheader $msg Subject [mime::word_encode utf-8 quoted-printable $subject -charset_encoded 0]
smtp::sendmessage $msg -servers [list $host] -ports [list $port] \
    -originator sender@example.com -recipients rcpt@example.org \
    -header [list From sender@example.com] -header [list To rcpt@example.org] -usetls 0
mime::finalize $msg -subordinates all
`
	scriptFile := filepath.Join(t.TempDir(), "send.tcl")
	must(t, os.WriteFile(scriptFile, []byte(script), 0o600))

	run(t, tclsh, scriptFile, host, strconv.Itoa(port), att, subject("tcllib"), textBody, "0")
	assert.Delivered(t, srv, want("tcllib", false, false))
	assert.WellFormed(t, srv) // no false positive: a complete message has no Error

	// tcllib 1.21 (mime 1.7.0) writes a multipart message's Content-Type
	// with a continuation line that starts with ";" and the boundary twice,
	// which no parser accepts. smtptest records it as it came, and the
	// accessors say why they cannot read it. If tcllib is fixed, the
	// message must read like the others.
	srv.Reset()
	run(t, tclsh, scriptFile, host, strconv.Itoa(port), att, subject("tcllib"), textBody, "1")
	m := srv.Messages()[0]
	if _, err := m.Subject(); err != nil {
		if !bytes.Contains(m.Data, []byte("\r\n;\r\n")) || !strings.Contains(err.Error(), "malformed MIME header line") {
			t.Errorf("tcllib multipart: %v\n%q", err, m.Data)
		}
		// lint reports the defect (a true positive): the Content-Type does
		// not parse, and the line ";" is no header field.
		wantErrors(t, m, "mime/content-type-syntax", "header/malformed")
	} else {
		assert.Delivered(t, srv, want("tcllib", false, true))
		assert.WellFormed(t, srv) // no false positive: a complete message has no Error
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// goMailWellFormed checks a message go-mail made: no Error, except the one
// go-mail v0.8.1 makes now and then, a true positive pinned here. Its
// SetMessageID draws 22 characters from a set that holds '.', so about 1
// Message-ID in 28 starts or ends with a dot or has two together, which
// RFC 5322 3.6.4 forbids (id-left is dot-atom-text, or obs-id-left:
// words between single dots): lint's header/message-id-syntax.
func goMailWellFormed(t *testing.T, m *smtptest.Message) {
	t.Helper()
	h, err := m.Header()
	if err != nil {
		t.Fatal(err)
	}
	id := strings.Trim(h.Get("Message-Id"), "<>")
	left, _, _ := strings.Cut(id, "@")
	if strings.HasPrefix(left, ".") || strings.HasSuffix(left, ".") || strings.Contains(left, "..") {
		t.Logf("go-mail made Message-ID <%s>, which RFC 5322 3.6.4 forbids: lint must say so", id)
		wantErrors(t, m, "header/message-id-syntax")
		return
	}
	wantErrors(t, m)
}
