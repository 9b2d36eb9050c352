package smtptest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"
)

// A Notice is mail a receiver sends back about a message it accepted: a
// delivery status notification ([Server.Bounce]), a feedback report
// ([Server.Complain]) or an automatic reply ([Server.AutoReply]). A test
// hands Data to the code that processes bounces, or delivers the notice
// to the app's inbound mail server with [Notice.Send] or
// [Notice.SendLMTP], as the real receiver would.
type Notice struct {
	Kind NoticeKind
	// From is the envelope sender: "" (the null reverse-path, <>) for
	// DSNs, feedback reports and auto-replies alike, so that nothing
	// answers them in turn (RFC 5321 6.1, RFC 3834 3.3).
	From string
	// To is the envelope recipient: the return path (MAIL FROM) of the
	// message the notice is about, or the address a [Complaint] names.
	To string
	// Data is the message, header and body, with CRLF line endings.
	Data []byte
	// Body8Bit is set when Data holds bytes above 127 (the returned
	// message had them): it must travel with BODY=8BITMIME.
	Body8Bit bool

	// About is the ID of the message the notice is about.
	About int
	// Sent is when the server delivered the notice, for the notices of
	// [Bounces]; zero if it was not sent (it is kept for the test, or
	// delivery failed: Err says why).
	Sent time.Time
	// Err is why delivering the notice failed; nil if it did not.
	Err error

	host string // the name of the server that made it, for EHLO
}

// NoticeKind says what a [Notice] is.
type NoticeKind int

// The kinds of notices.
const (
	KindDSN       NoticeKind = iota + 1 // an RFC 3464 delivery status notification
	KindFeedback                        // an RFC 5965 feedback report (ARF)
	KindAutoReply                       // an RFC 3834 automatic reply
)

// String returns "DSN", "feedback report" or "auto-reply".
func (k NoticeKind) String() string {
	switch k {
	case KindDSN:
		return "DSN"
	case KindFeedback:
		return "feedback report"
	case KindAutoReply:
		return "auto-reply"
	}
	return fmt.Sprintf("NoticeKind(%d)", int(k))
}

// ErrNoNotice is returned (wrapped, with the reason) when a real receiver
// would send no notice at all: the message has the null sender, the
// recipient's NOTIFY did not ask for this kind of DSN, or an auto-reply
// would answer automatic or list mail. Test for it with errors.Is.
var ErrNoNotice = errors.New("a receiver sends no notice here")

// Send delivers n over SMTP to the server at addr ("host:port"), the way
// a receiver's bounce reaches the app's inbound mail server: EHLO with
// the name of the server that made it, MAIL FROM:<> (BODY=8BITMIME when
// the notice needs it), RCPT TO the notice's recipient, DATA. The
// context bounds the whole exchange. An SMTP refusal comes back as an
// *smtp.SMTPError, wrapped.
func (n *Notice) Send(ctx context.Context, addr string) error {
	return n.send(ctx, "tcp", addr, false)
}

// SendLMTP delivers n over LMTP (RFC 2033), as an MTA hands mail to a
// local delivery agent: addr is "host:port", or the path of a Unix
// socket when it contains a "/". The recipient's reply after the data is
// the result.
func (n *Notice) SendLMTP(ctx context.Context, addr string) error {
	network := "tcp"
	if strings.Contains(addr, "/") {
		network = "unix"
	}
	return n.send(ctx, network, addr, true)
}

func (n *Notice) send(ctx context.Context, network, addr string, lmtp bool) (err error) {
	proto := "SMTP"
	if lmtp {
		proto = "LMTP"
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("smtptest: sending the %s about message %d to <%s> over %s at %s: %w", n.Kind, n.About, n.To, proto, addr, err)
		}
	}()
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return err
	}
	defer nc.Close()
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	var c *smtp.Client
	if lmtp {
		c = smtp.NewClientLMTP(nc)
	} else {
		c = smtp.NewClient(nc)
	}
	defer c.Close()
	host := n.host
	if host == "" {
		host = "localhost"
	}
	if err := c.Hello(host); err != nil {
		return err
	}
	opts := &smtp.MailOptions{}
	if n.Body8Bit {
		opts.Body = smtp.Body8BitMIME
	}
	if err := c.Mail(n.From, opts); err != nil {
		return err
	}
	if err := c.Rcpt(n.To, nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(n.Data); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	return c.Quit()
}

// noticeHeader starts the header every notice has: Date, Message-ID
// (on the server's domain), From, To, Subject, MIME-Version and
// Auto-Submitted.
func (s *Server) noticeHeader(now time.Time, from *mail.Address, to, subject, autoSubmitted string) (mail.Header, error) {
	// go-message puts each new field at the top: the fields are set
	// last to first, so that the header reads Date, Message-ID, From, ...
	var h mail.Header
	h.Set("Auto-Submitted", autoSubmitted)
	h.Set("MIME-Version", "1.0")
	h.SetSubject(subject)
	h.SetAddressList("To", []*mail.Address{{Address: to}})
	h.SetAddressList("From", []*mail.Address{from})
	if err := h.GenerateMessageIDWithHostname(s.cfg.domain); err != nil {
		return h, err
	}
	h.SetDate(now)
	return h, nil
}

// reportPart is one part of a multipart/report: its header and body. A
// body is written as it is (CRLF line endings, no transfer encoding).
type reportPart struct {
	header message.Header
	body   []byte
}

// writeReport writes a multipart/report of reportType with these parts
// under header h (RFC 6522).
func writeReport(h mail.Header, reportType string, parts []reportPart) ([]byte, error) {
	h.SetContentType("multipart/report", map[string]string{"report-type": reportType})
	var b bytes.Buffer
	w, err := message.CreateWriter(&b, h.Header)
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		pw, err := w.CreatePart(p.header)
		if err != nil {
			return nil, err
		}
		if _, err := pw.Write(p.body); err != nil {
			return nil, err
		}
		if err := pw.Close(); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// textPart is a text/plain part of s, US-ASCII or UTF-8 (8bit).
func textPart(s string) reportPart {
	var h message.Header
	charset := "us-ascii"
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			charset = "utf-8"
			h.Set("Content-Transfer-Encoding", "8bit")
			break
		}
	}
	h.SetContentType("text/plain", map[string]string{"charset": charset})
	return reportPart{header: h, body: crlf([]byte(s))}
}

// fieldsPart is a part of type ct (message/delivery-status,
// message/feedback-report) holding these groups of fields, each group
// ended by a blank line.
func fieldsPart(ct string, groups ...[][2]string) reportPart {
	var h message.Header
	h.SetContentType(ct, nil)
	var b bytes.Buffer
	for i, g := range groups {
		if i > 0 {
			b.WriteString("\r\n")
		}
		for _, f := range g {
			b.WriteString(f[0] + ": " + f[1] + "\r\n")
		}
	}
	return reportPart{header: h, body: b.Bytes()}
}

// returnedPart is the message the notice is about, whole
// (message/rfc822) or its header only (text/rfc822-headers).
func returnedPart(m *Message, headersOnly bool) (reportPart, bool) {
	var h message.Header
	data := crlf(m.Data)
	if headersOnly {
		h.SetContentType("text/rfc822-headers", nil)
		if i := bytes.Index(data, []byte("\r\n\r\n")); i >= 0 {
			data = data[:i+2]
		}
	} else {
		h.SetContentType("message/rfc822", nil)
	}
	eight := false
	for _, c := range data {
		if c >= 0x80 {
			eight = true
			break
		}
	}
	if eight {
		h.Set("Content-Transfer-Encoding", "8bit")
	}
	if len(data) > 0 && !bytes.HasSuffix(data, []byte("\r\n")) {
		// A full slice expression: data may be the message's own Data,
		// whose spare capacity (if any) is not this call's to write.
		data = append(data[:len(data):len(data)], '\r', '\n')
	}
	return reportPart{header: h, body: data}, eight
}

// crlf returns b with every line ending CRLF (a bare LF or a bare CR
// becomes CRLF). It returns b itself when nothing changes.
func crlf(b []byte) []byte {
	bare := false
	for i, c := range b {
		if (c == '\n' && (i == 0 || b[i-1] != '\r')) || (c == '\r' && (i+1 == len(b) || b[i+1] != '\n')) {
			bare = true
			break
		}
	}
	if !bare {
		return b
	}
	out := make([]byte, 0, len(b)+len(b)/32)
	for i, c := range b {
		switch {
		case c == '\n' && (i == 0 || b[i-1] != '\r'):
			out = append(out, '\r', '\n')
		case c == '\r' && (i+1 == len(b) || b[i+1] != '\n'):
			out = append(out, '\r', '\n')
		default:
			out = append(out, c)
		}
	}
	return out
}

// checkAbout checks that m is a message of the record and rcpt one of
// its recipients; it returns rcpt as m.To spells it.
func checkAbout(m *Message, rcpt string) (int, error) {
	if m == nil {
		return -1, errors.New("nil Message")
	}
	for i, to := range m.To {
		if strings.EqualFold(to, rcpt) {
			return i, nil
		}
	}
	return -1, fmt.Errorf("<%s> is not a recipient of message %d (%s)", rcpt, m.ID, strings.Join(m.To, ", "))
}
