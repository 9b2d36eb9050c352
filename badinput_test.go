package smtptest_test

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message"
	"github.com/smtptest/smtptest"
)

// Bad message data: for each input, the reply the client gets, what the
// record holds (always the bytes as sent, dot-unstuffed), and what the
// MIME accessors return. Nothing panics; what cannot be read is an error.
func TestBadMessageData(t *testing.T) {
	var deep strings.Builder
	for i := range 100 {
		fmt.Fprintf(&deep, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i)
	}
	deep.WriteString("\r\nleaf\r\n")

	type result struct {
		subject, text string
		subjectErr    string // "" for none
		textErr       string
		attachments   int
		attErr        string
	}
	tests := []struct {
		name string
		data string
		want result
	}{
		{"bare LF line endings", "Subject: lf\n\nline one\nline two\n",
			result{subject: "lf", text: "line one\nline two\n\r\n"}}, // the CRLF before the final dot is data
		{"bare CR inside lines", "Subject: cr\r\n\r\nbefore\rafter\r\n",
			result{subject: "cr", text: "before\rafter\r\n"}},
		{"NUL bytes", "Subject: nul\x00byte\r\nX-Nul: \x00\r\n\r\nbody\x00end\r\n",
			result{subject: "nul\x00byte", text: "body\x00end\r\n"}},
		{"8-bit UTF-8 header", "Subject: café ✓\r\n\r\nbody\r\n",
			result{subject: "café ✓", text: "body\r\n"}},
		{"8-bit Latin-1 header", "Subject: caf\xe9\r\n\r\nbody\r\n",
			result{subject: "caf\xe9", text: "body\r\n"}},
		{"100 KiB line", "Subject: long\r\n\r\n" + strings.Repeat("L", 100<<10) + "\r\n",
			result{subject: "long", text: strings.Repeat("L", 100<<10) + "\r\n"}},
		{"no header at all", "\r\nbody without header\r\n",
			result{text: "body without header\r\n"}},
		{"text without a header", "just a line of text\r\n",
			result{subjectErr: "malformed MIME header line", textErr: "malformed MIME header line", attErr: "malformed MIME header line"}},
		{"CR CR LF before the final dot", "Subject: crcr\r\n\r\nx\r\r\n", // ends the body (go-smtp would wait for more)
			result{subject: "crcr", text: "x\r\r\n"}},
		{"multipart never closed", "Subject: mp\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n--b\r\nContent-Type: application/pdf\r\n\r\ntruncated",
			result{subject: "mp", text: "first part", attErr: "unexpected EOF"}},
		{"multipart without boundary parameter", "Subject: nb\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\nbody\r\n--x--\r\n",
			result{subject: "nb", textErr: "malformed multipart", attErr: "malformed multipart"}},
		{"invalid base64", "Subject: b64\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n",
			result{subject: "b64", textErr: "illegal base64"}},
		{"malformed quoted-printable escape", "Subject: qp\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nbad =ZZ escape\r\n",
			result{subject: "qp", text: "bad =ZZ escape\r\n"}}, // Go's reader passes it through
		{"control byte in quoted-printable", "Subject: qp\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nnul=\x00here\r\n",
			result{subject: "qp", textErr: "invalid unescaped byte 0x00"}},
		{"unknown charset", "Subject: cs\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nraw bytes\r\n",
			result{subject: "cs", text: "raw bytes\r\n", textErr: "x-klingon"}},
		{"unknown charset in an encoded word", "Subject: =?x-klingon?q?Qapla=27?=\r\n\r\nbody\r\n",
			result{subject: "=?x-klingon?q?Qapla=27?=", subjectErr: "x-klingon", text: "body\r\n"}},
		{"absurd nesting", "Subject: deep\r\n" + deep.String(),
			result{subject: "deep", textErr: "nested deeper than 64 levels", attErr: "nested deeper than 64 levels"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.NewServer(t)
			c := dial(t, srv, 220)
			c.cmd("EHLO client.example", 250)
			c.cmd("MAIL FROM:<a@example.com>", 250)
			c.cmd("RCPT TO:<b@example.org>", 250)
			c.cmd("DATA", 354)
			sent := tt.data
			if !strings.HasSuffix(sent, "\r\n") {
				sent += "\r\n" // the final dot needs a CRLF before it
			}
			c.write(sent + ".\r\n")
			c.expect(250)

			m := srv.Messages()[0]
			if string(m.Data) != sent {
				t.Fatalf("Data differs from what was sent (%d bytes, want %d)", len(m.Data), len(sent))
			}
			subject, err := m.Subject()
			checkResult(t, "Subject", subject, tt.want.subject, err, tt.want.subjectErr)
			text, err := m.TextBody()
			if tt.want.text == "" && tt.want.textErr != "" {
				text = "" // on error, the text is not the point
			}
			checkResult(t, "TextBody", text, tt.want.text, err, tt.want.textErr)
			atts, err := m.Attachments()
			checkResult(t, "Attachments", fmt.Sprint(len(atts)), fmt.Sprint(tt.want.attachments), err, tt.want.attErr)
		})
	}
}

func checkResult(t *testing.T, what, got, want string, err error, wantErr string) {
	t.Helper()
	switch {
	case wantErr == "" && err != nil:
		t.Errorf("%s: unexpected error %v", what, err)
	case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
		t.Errorf("%s: error %v, want one containing %q", what, err, wantErr)
	}
	if got != want {
		t.Errorf("%s = %.80q, want %.80q", what, got, want)
	}
}

// Bad commands: the reply each gets; the session goes on (or ends, for
// go-smtp's fourth syntax error, tested elsewhere).
func TestBadCommands(t *testing.T) {
	tests := []struct {
		name string
		line string
		want int
	}{
		{"NUL in an address", "MAIL FROM:<a\x00b@example.com>", 250},
		{"8-bit address without SMTPUTF8", "MAIL FROM:<caf\xc3\xa9@example.com>", 250},
		{"invalid UTF-8 in an address", "MAIL FROM:<\xff\xfe@example.com>", 250},
		{"100 KiB command line", "NOOP " + strings.Repeat("n", 100<<10), 500},
		{"bare CR inside a command", "NOOP\rQUIT", 501},
		{"empty line", "", 500},
		{"unknown parameter", "MAIL FROM:<a@example.com> FOO=BAR", 500},
		{"SIZE not a number", "MAIL FROM:<a@example.com> SIZE=big", 501},
		{"path without closing bracket", "MAIL FROM:<a@example.com", 501},
		{"RCPT without MAIL", "RCPT TO:<b@example.org>", 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.NewServer(t)
			c := dial(t, srv, 220)
			c.cmd("EHLO client.example", 250)
			c.cmd(tt.line, tt.want)
			c.cmd("RSET", 250) // the session goes on
			if tt.want >= 400 {
				if r := srv.Rejections(); len(r) != 1 || r[0].Reply.Code != tt.want {
					t.Errorf("Rejections() = %v", r)
				}
			}
		})
	}
}

// The unknown-charset error is the one go-message defines, so callers can
// test for it.
func TestUnknownCharsetErrorIsGoMessages(t *testing.T) {
	m := &smtptest.Message{Data: []byte("Content-Type: text/plain; charset=x-klingon\r\n\r\nraw\r\n")}
	_, err := m.TextBody()
	if !message.IsUnknownCharset(err) || errors.Is(err, smtptest.ErrNoPart) {
		t.Errorf("TextBody error %v: want message.IsUnknownCharset", err)
	}
}

// Guarantee 7: no panic, no hang on garbage; the next client is served.
func TestGarbageInputNeverBreaksTheServer(t *testing.T) {
	srv := smtptest.NewServer(t)
	rng := rand.New(rand.NewPCG(7, 7))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nc, err := net.Dial("tcp", srv.Addr())
			if err != nil {
				t.Error(err)
				return
			}
			defer nc.Close()
			// Half the clients first get into DATA or BDAT mode.
			prefixes := []string{"", "EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n", "EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 100\r\n", "EHLO x\r\nAUTH LOGIN\r\n"}
			buf := []byte(prefixes[i%len(prefixes)])
			r := rand.New(rand.NewPCG(uint64(i), 3))
			for range 2000 {
				switch r.IntN(6) {
				case 0:
					buf = append(buf, '\r', '\n')
				case 1:
					buf = append(buf, '\n')
				case 2:
					buf = append(buf, ".\r\n"...)
				default:
					buf = append(buf, byte(r.IntN(256)))
				}
			}
			nc.SetDeadline(time.Now().Add(ioBound))
			nc.Write(buf)
			nc.(*net.TCPConn).CloseWrite()
			io.Copy(io.Discard, nc) // until the server closes or gives up
		}()
	}
	_ = rng
	wg.Wait()
	sendMail(t, srv, "a@example.com", []string{"b@example.org"}, simpleMsg)
	if got := srv.Messages(); len(got) == 0 || string(got[len(got)-1].Data) != simpleMsg {
		t.Errorf("a well-behaved client after the garbage was not served")
	}
}
