package smtptest_test

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-message"
	"github.com/google/go-cmp/cmp"

	"github.com/smtptest/smtptest"
)

// crlf turns the LF line endings of a Go literal into CRLF.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

var richMsg = crlf(`From: Alice <alice@example.com>
To: Bob <bob@example.org>
Subject: =?ISO-8859-1?Q?Caf=E9?= menu
X-Mailer: test
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Soupe du jour: =C3=A9pinards.
Long line that is soft-=
wrapped.
--alt
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

PHA+U291cGUgZHUgam91cjogw6lwaW5hcmRzLjwvcD4=
--alt--

--outer
Content-Type: application/pdf
Content-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--outer
Content-Type: image/png
Content-Disposition: inline
Content-ID: <logo@example.com>
Content-Transfer-Encoding: base64

iVBORw0K
--outer
Content-Type: text/plain; name="=?UTF-8?B?bm90ZXPDqS50eHQ=?="
Content-Disposition: attachment

notes
--outer--
`)

func TestMIMEAccessors(t *testing.T) {
	m := &smtptest.Message{Data: []byte(richMsg)}

	subject, err := m.Subject()
	if err != nil || subject != "Café menu" {
		t.Errorf("Subject() = %q, %v; want \"Café menu\"", subject, err)
	}
	h, err := m.Header()
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Get("x-mailer"); got != "test" {
		t.Errorf("Header().Get(\"x-mailer\") = %q", got)
	}
	if from, err := h.AddressList("From"); err != nil || len(from) != 1 || from[0].Address != "alice@example.com" {
		t.Errorf("From = %v, %v", from, err)
	}

	text, err := m.TextBody()
	if want := "Soupe du jour: épinards.\r\nLong line that is soft-wrapped."; err != nil || text != want {
		t.Errorf("TextBody() = %q, %v; want %q", text, err, want)
	}
	html, err := m.HTMLBody()
	if want := "<p>Soupe du jour: épinards.</p>"; err != nil || html != want {
		t.Errorf("HTMLBody() = %q, %v; want %q", html, err, want)
	}

	atts, err := m.Attachments()
	if err != nil {
		t.Fatal(err)
	}
	want := []smtptest.Attachment{
		{Filename: "résumé.pdf", ContentType: "application/pdf", Disposition: "attachment", Part: "2", Size: 9, Data: []byte("%PDF-1.4\n")},
		{ContentType: "image/png", Disposition: "inline", ContentID: "logo@example.com", Part: "3", Size: 6, Data: []byte("\x89PNG\r\n")},
		{Filename: "notesé.txt", ContentType: "text/plain", Disposition: "attachment", Part: "4", Size: 5, Data: []byte("notes")},
	}
	if diff := cmp.Diff(want, atts); diff != "" {
		t.Errorf("Attachments() mismatch (-want +got):\n%s", diff)
	}

	e, err := m.Entity()
	if err != nil || e.MultipartReader() == nil {
		t.Errorf("Entity() = %v, %v; want a multipart entity", e, err)
	}
	if string(m.Data) != richMsg {
		t.Error("the accessors changed Data")
	}
}

func TestAttachmentPartNumbers(t *testing.T) {
	nested := "Content-Type: multipart/mixed; boundary=a\r\n\r\n" +
		"--a\r\nContent-Type: multipart/related; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/html\r\n\r\n<img src=cid:x>\r\n" +
		"--b\r\nContent-Type: image/gif\r\nContent-ID: <x>\r\n\r\nGIF\r\n--b--\r\n" +
		"--a\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; filename=a.zip\r\n\r\nPK\r\n--a--\r\n"
	for _, c := range []struct {
		data string
		want []string
	}{
		{"Content-Type: application/pdf\r\n\r\n%PDF\r\n", []string{"1"}},
		{nested, []string{"1.2", "2"}},
	} {
		atts, err := (&smtptest.Message{Data: []byte(c.data)}).Attachments()
		var got []string
		for _, a := range atts {
			got = append(got, a.Part)
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("parts %q, %v; want %q", got, err, c.want)
		}
	}
}

func TestMIMEPlainMessage(t *testing.T) {
	m := &smtptest.Message{Data: []byte("Subject: plain\r\n\r\nJust text.\r\n")}
	if text, err := m.TextBody(); err != nil || text != "Just text.\r\n" {
		t.Errorf("TextBody() = %q, %v", text, err)
	}
	if _, err := m.HTMLBody(); !errors.Is(err, smtptest.ErrNoPart) {
		t.Errorf("HTMLBody() error = %v, want ErrNoPart", err)
	}
	if atts, err := m.Attachments(); err != nil || atts != nil {
		t.Errorf("Attachments() = %v, %v; want none", atts, err)
	}
}

func TestMIMECharsets(t *testing.T) {
	latin1 := &smtptest.Message{Data: []byte("Content-Type: text/plain; charset=iso-8859-1\r\n\r\ncaf\xe9\r\n")}
	if text, err := latin1.TextBody(); err != nil || text != "café\r\n" {
		t.Errorf("latin-1 TextBody() = %q, %v", text, err)
	}
	sjis := &smtptest.Message{Data: []byte("Content-Type: text/plain; charset=shift_jis\r\n\r\n\x82\xa0\r\n")}
	if text, err := sjis.TextBody(); err != nil || text != "あ\r\n" {
		t.Errorf("Shift_JIS TextBody() = %q, %v", text, err)
	}
	unknown := &smtptest.Message{Data: []byte("Content-Type: text/plain; charset=x-unheard-of\r\n\r\nraw\r\n")}
	text, err := unknown.TextBody()
	if text != "raw\r\n" || !message.IsUnknownCharset(err) {
		t.Errorf("unknown charset: TextBody() = %q, %v; want the raw text and an unknown-charset error", text, err)
	}
	badWord := &smtptest.Message{Data: []byte("Subject: =?x-unheard-of?Q?abc?=\r\n\r\n")}
	if s, err := badWord.Subject(); err == nil || s != "=?x-unheard-of?Q?abc?=" {
		t.Errorf("Subject() = %q, %v; want the raw field and an error", s, err)
	}
}

func TestMIMEMalformed(t *testing.T) {
	var deep string
	for i := range 100 {
		deep += fmt.Sprintf("Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i)
	}
	deep += "\r\nx\r\n"
	tests := []struct {
		name string
		data string
		call func(m *smtptest.Message) error
		want string
	}{
		{"header line without colon", "not a header\r\n\r\nbody", func(m *smtptest.Message) error { _, err := m.Header(); return err }, "malformed MIME header"},
		{"invalid base64", "Content-Transfer-Encoding: base64\r\n\r\n!!!!\r\n", func(m *smtptest.Message) error { _, err := m.TextBody(); return err }, "illegal base64"},
		{"unknown transfer encoding", "Content-Transfer-Encoding: x-weird\r\n\r\nabc\r\n", func(m *smtptest.Message) error { _, err := m.TextBody(); return err }, "x-weird"},
		{"multipart without boundary", "Content-Type: multipart/mixed\r\n\r\n--\r\nx\r\n", func(m *smtptest.Message) error { _, err := m.Attachments(); return err }, "multipart"},
		{"multipart never closed", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nunterminated", func(m *smtptest.Message) error { _, err := m.HTMLBody(); return err }, "multipart"},
		{"absurd nesting", deep, func(m *smtptest.Message) error { _, err := m.TextBody(); return err }, "nested deeper than 64 levels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &smtptest.Message{Data: []byte(tt.data)}
			err := tt.call(m)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
			if string(m.Data) != tt.data {
				t.Error("Data changed")
			}
		})
	}
}

func TestMIMEEntityReadsDecodedBody(t *testing.T) {
	m := &smtptest.Message{Data: []byte("Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n")}
	e, err := m.Entity()
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(e.Body)
	if err != nil || string(b) != "hello" {
		t.Errorf("body = %q, %v", b, err)
	}
}
