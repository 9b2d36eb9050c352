package smtptest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"
)

// Complaint describes the feedback report [Server.Complain] makes: what
// a mailbox provider sends through its feedback loop when a recipient
// marks a message as spam (Yahoo's and Microsoft's JMRP are ARF; Gmail's
// feedback loop is aggregate and sends none).
type Complaint struct {
	// FeedbackType is the report's Feedback-Type (RFC 5965 7.3): "abuse"
	// (the zero value), "fraud", "virus", "not-spam" or "other".
	FeedbackType string
	// To is where the report goes: the address the sender registered
	// for the feedback loop. "" is the message's return path.
	To string
	// HeadersOnly returns only the message's header (text/rfc822-headers),
	// as providers that redact reports do; otherwise the whole message.
	HeadersOnly bool
}

// feedbackTypes are the Feedback-Type values RFC 5965 registers (and
// RFC 6650's not-spam).
var feedbackTypes = []string{"abuse", "fraud", "virus", "other", "not-spam"}

// Complain makes the feedback report (RFC 5965, ARF) a mailbox provider
// sends when rcpt, a recipient of m, reports m as spam: a
// multipart/report of a text/plain explanation, a message/feedback-report
// part (Feedback-Type, User-Agent, Version, Original-Mail-From,
// Original-Rcpt-To, Arrival-Date, Reporting-MTA, Source-IP,
// Original-Envelope-Id when m had an ENVID) and m itself or its header.
// It is sent from abuse@ the server's [Domain] with the null sender, to
// c.To or m's return path.
//
// The error wraps [ErrNoNotice] when there is nowhere to send it: m has
// the null sender and c.To is empty.
func (s *Server) Complain(m *Message, rcpt string, c Complaint) (*Notice, error) {
	n, err := s.complain(time.Now(), m, rcpt, c)
	if err != nil {
		return nil, fmt.Errorf("smtptest: Complain: %w", err)
	}
	return n, nil
}

func (s *Server) complain(now time.Time, m *Message, rcpt string, c Complaint) (*Notice, error) {
	i, err := checkAbout(m, rcpt)
	if err != nil {
		return nil, err
	}
	ft := strings.ToLower(c.FeedbackType)
	if ft == "" {
		ft = "abuse"
	}
	if !slices.Contains(feedbackTypes, ft) {
		return nil, fmt.Errorf("unknown FeedbackType %q (RFC 5965 registers %s)", c.FeedbackType, strings.Join(feedbackTypes, ", "))
	}
	to := c.To
	if to == "" {
		to = m.From
	}
	if to == "" {
		return nil, fmt.Errorf("message %d has the null sender <> and Complaint.To is empty: %w", m.ID, ErrNoNotice)
	}
	if _, err := mail.ParseAddress("<" + to + ">"); err != nil {
		return nil, fmt.Errorf("Complaint.To %q: %w", to, err)
	}

	subject := "Abuse report"
	if subj, err := m.Subject(); err == nil && subj != "" {
		subject = "Abuse report: " + subj
	}
	text := fmt.Sprintf("This is an email %s report for a message received at %s\nfrom %s on %s.\nThe recipient <%s> reported it.\n",
		ft, s.cfg.domain, m.Remote.Addr(), m.Received.Format(time.RFC1123Z), m.To[i])
	fields := [][2]string{
		{"Feedback-Type", ft},
		{"User-Agent", "smtptest/1"},
		{"Version", "1"},
		{"Original-Mail-From", "<" + dsnText(m.From) + ">"},
		{"Original-Rcpt-To", "<" + dsnText(m.To[i]) + ">"},
	}
	if id := m.MailOptions.EnvelopeID; id != "" {
		fields = append(fields, [2]string{"Original-Envelope-Id", dsnText(id)})
	}
	fields = append(fields,
		[2]string{"Arrival-Date", m.Received.Format(time.RFC1123Z)},
		[2]string{"Reporting-MTA", "dns; " + s.cfg.domain})
	if m.Remote.IsValid() {
		fields = append(fields, [2]string{"Source-IP", m.Remote.Addr().String()})
	}

	h, err := s.noticeHeader(now, &mail.Address{Name: "Feedback Loop", Address: "abuse@" + s.cfg.domain}, to, subject, "auto-generated")
	if err != nil {
		return nil, err
	}
	returned, eight := returnedPart(m, c.HeadersOnly)
	data, err := writeReport(h, "feedback-report", []reportPart{
		textPart(text),
		fieldsPart("message/feedback-report", fields),
		returned,
	})
	if err != nil {
		return nil, err
	}
	return &Notice{Kind: KindFeedback, To: to, Data: data, Body8Bit: eight, About: m.ID, host: s.cfg.domain}, nil
}
