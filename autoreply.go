package smtptest

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
)

// DefaultAutoReplyText is the body of an auto-reply made with no text.
const DefaultAutoReplyText = "I am away and will read your message when I return.\n"

// AutoReply makes the automatic reply (RFC 3834) that rcpt's mailbox
// sends to m, such as an out-of-office notice, with text as its body
// ("" is [DefaultAutoReplyText]). It comes from rcpt with the null
// sender, goes to m's return path, and says Auto-Submitted:
// auto-replied, In-Reply-To and References (m's Message-ID) and
// Subject: "Auto: " and m's subject.
//
// Like a responder that follows RFC 3834 2 (vacation, Sieve's vacation
// extension, Exchange's out-of-office), it makes none, and the error
// wraps [ErrNoNotice], for a message with the null sender, one that is
// Auto-Submitted itself (anything but "no"), list or bulk mail
// (List-Id, List-Unsubscribe, Precedence: bulk, list or junk), one from
// MAILER-DAEMON or a list's owner- or -request address, or one whose To,
// Cc, Bcc and Resent- fields do not name rcpt (it came by Bcc or an
// alias: a personal responder stays silent).
func (s *Server) AutoReply(m *Message, rcpt, text string) (*Notice, error) {
	n, err := s.autoReply(time.Now(), m, rcpt, text)
	if err != nil {
		return nil, fmt.Errorf("smtptest: AutoReply: %w", err)
	}
	return n, nil
}

func (s *Server) autoReply(now time.Time, m *Message, rcpt, text string) (*Notice, error) {
	i, err := checkAbout(m, rcpt)
	if err != nil {
		return nil, err
	}
	rcpt = m.To[i]
	if m.From == "" {
		return nil, fmt.Errorf("message %d has the null sender <>: %w", m.ID, ErrNoNotice)
	}
	local, _, _ := strings.Cut(strings.ToLower(m.From), "@")
	if local == "mailer-daemon" || strings.HasPrefix(local, "owner-") || strings.HasSuffix(local, "-request") {
		return nil, fmt.Errorf("message %d comes from <%s>, a mail system or list address: %w", m.ID, m.From, ErrNoNotice)
	}
	orig, err := m.Header()
	if err != nil {
		return nil, fmt.Errorf("message %d: %w", m.ID, err)
	}
	if v := strings.TrimSpace(orig.Get("Auto-Submitted")); v != "" && !strings.EqualFold(v, "no") {
		return nil, fmt.Errorf("message %d is Auto-Submitted: %s: %w", m.ID, v, ErrNoNotice)
	}
	for _, k := range []string{"List-Id", "List-Unsubscribe"} {
		if orig.Has(k) {
			return nil, fmt.Errorf("message %d is list mail (%s): %w", m.ID, k, ErrNoNotice)
		}
	}
	switch p := strings.ToLower(strings.TrimSpace(orig.Get("Precedence"))); p {
	case "bulk", "list", "junk":
		return nil, fmt.Errorf("message %d has Precedence: %s: %w", m.ID, p, ErrNoNotice)
	}
	if !addressedTo(orig, rcpt) {
		return nil, fmt.Errorf("message %d's To, Cc and Bcc do not name <%s> (a personal responder stays silent): %w", m.ID, rcpt, ErrNoNotice)
	}

	subject, _ := m.Subject()
	h, err := s.noticeHeader(now, &mail.Address{Address: rcpt}, m.From, "Auto: "+subject, "auto-replied")
	if err != nil {
		return nil, err
	}
	if id, err := orig.MessageID(); err == nil && id != "" {
		refs, _ := orig.MsgIDList("References")
		h.SetMsgIDList("In-Reply-To", []string{id})
		h.SetMsgIDList("References", append(refs, id))
	}
	if text == "" {
		text = DefaultAutoReplyText
	}
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	params := map[string]string{"charset": "us-ascii"}
	for j := 0; j < len(text); j++ {
		if text[j] >= 0x80 {
			params["charset"] = "utf-8"
			h.Set("Content-Transfer-Encoding", "quoted-printable")
			break
		}
	}
	h.SetContentType("text/plain", params)
	var b bytes.Buffer
	w, err := message.CreateWriter(&b, h.Header)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(crlf([]byte(text))); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return &Notice{Kind: KindAutoReply, To: m.From, Data: b.Bytes(), About: m.ID, host: s.cfg.domain}, nil
}

// addressedTo reports whether the header's recipient fields name addr.
func addressedTo(h mail.Header, addr string) bool {
	for _, k := range []string{"To", "Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc"} {
		list, _ := h.AddressList(k)
		for _, a := range list {
			if strings.EqualFold(a.Address, addr) {
				return true
			}
		}
	}
	return false
}
