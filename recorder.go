package smtptest

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/smtptest/smtptest/internal/report"
	"github.com/smtptest/smtptest/internal/wire"
)

// Envelope is the SMTP envelope of a message: what MAIL FROM and RCPT TO
// said, as opposed to the From and To header fields.
type Envelope struct {
	From string   // reverse-path without angle brackets; "" for the null sender <>
	To   []string // accepted recipients, in RCPT order
}

// Message is one message the server accepted: its envelope, its bytes, and
// the facts of the session that sent it. The MIME accessors ([Message.Header],
// [Message.Subject], [Message.TextBody], [Message.HTMLBody],
// [Message.Attachments], [Message.Entity]) parse Data on each call and never
// change it.
//
// The Messages a [Server] returns are copies: changing one does not change
// the server's record.
type Message struct {
	Envelope

	// ID numbers the messages the server has read in full, from 1, in the
	// order their data ended; it is never reused and not reset by
	// [Server.Reset]. A message refused at end of data by a hook keeps its
	// number unused, so the IDs of the record can have gaps, and two
	// messages whose hooks overlap may be recorded out of ID order.
	ID int

	// Data is the message as go-smtp's DATA/BDAT reader delivered it
	// (dot-unstuffed), byte for byte: header, blank line, body, with the
	// line endings the client sent.
	Data []byte

	ConnID   int            // the connection that sent it, as numbered in the transcript (from 1)
	Helo     string         // the name the client gave in HELO/EHLO/LHLO
	Remote   netip.AddrPort // the client's address
	TLS      *TLSInfo       // the TLS session; nil if the message came over plain text
	AuthUser string         // the authenticated identity; "" if the client did not authenticate
	AuthMech string         // the SASL mechanism it authenticated with ([MechPlain], ...); "" if none

	// MailOptions are the MAIL parameters go-smtp parsed: SIZE, BODY,
	// SMTPUTF8, RET, ENVID, AUTH, ...
	MailOptions smtp.MailOptions
	// RcptOptions are the RCPT parameters (NOTIFY, ORCPT, ...) of each
	// recipient, parallel to To: RcptOptions[i] are those of To[i]. It is
	// nil when no recipient had any.
	RcptOptions []smtp.RcptOptions

	Received time.Time // when the server finished reading the message

	view *view // what the accessors parsed, shared by them; nil for a Message made by hand
}

// TLSInfo describes the TLS session a message came over.
type TLSInfo struct {
	Version     uint16 // tls.VersionTLS13, ...
	CipherSuite uint16 // tls.TLS_AES_128_GCM_SHA256, ...
	ServerName  string // the name the client asked for (SNI); "" if none
	// ClientCertificate is the certificate the client presented, verified
	// ([ClientCertAuth]); nil if none. It must not be modified.
	ClientCertificate *x509.Certificate
}

// Rejection is one refusal the server made: a reply of 4xx or 5xx, whether
// a hook, a fault or go-smtp itself (syntax errors, the size cap, the
// recipient limit, ...) chose it, or a connection dropped on purpose.
type Rejection struct {
	Stage   Stage          // where in the dialogue; the zero Stage for commands without one
	Arg     string         // the address (MAIL, RCPT; "<>" for the null sender), domain (HELO), mechanism (AUTH); "" where none
	Command string         // the client's command line, AUTH secrets masked; "" at connect and end of data
	Reply   smtp.SMTPError // the code, enhanced code and text the client got; Code 0 for a dropped connection
	Remote  netip.AddrPort // the client's address
	ConnID  int            // the connection, as numbered in the transcript
	Time    time.Time      // when the reply was made
}

// String formats r the way failure messages show it.
func (r Rejection) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", r.Stage)
	if r.Arg != "" {
		fmt.Fprintf(&b, " %s", r.Arg)
	}
	if r.Reply.Code == 0 {
		b.WriteString(": connection dropped")
	} else {
		fmt.Fprintf(&b, ": %s", wire.FormatLine(&r.Reply))
	}
	return b.String()
}

// ErrServerClosed is returned by [Server.WaitForMessagesContext] when the
// server closes before enough messages arrive.
var ErrServerClosed = errors.New("smtptest: server closed")

// record adds m to the record, unless the server is closing. It reports
// whether m was recorded. From here on nothing changes m: the record's
// messages are shared, read-only, by the snapshots taken under s.mu and
// copied outside it.
func (s *Server) record(m *Message) bool {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return false
	}
	s.msgs = append(s.msgs, m)
	s.msgBytes += int64(len(m.Data))
	s.received++
	s.stats.Messages++
	s.stats.MessageBytes += int64(len(m.Data))
	gone := s.trimMessages()
	s.signal()
	s.mu.Unlock()
	if s.observed() {
		s.emit(Event{Kind: EventMessage, Time: m.Received, ConnID: m.ConnID, Remote: m.Remote, Message: m.clone()})
		s.emitDiscards(gone, nil, nil)
	}
	return true
}

func (s *Server) addRejection(r Rejection) {
	s.mu.Lock()
	s.rejs = append(s.rejs, r)
	s.rejected++
	s.stats.Rejections++
	gone := s.trimRejections()
	s.signal()
	s.mu.Unlock()
	if s.observed() {
		s.emit(Event{Kind: EventRejection, Time: r.Time, ConnID: r.ConnID, Remote: r.Remote, Rejection: &r})
		s.emitDiscards(nil, gone, nil)
	}
}

// nextMessageID numbers a message whose data has been read.
func (s *Server) nextMessageID() int {
	return int(s.lastMessageID.Add(1))
}

// signal wakes the goroutines waiting for the record to grow. s.mu is
// held.
func (s *Server) signal() {
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
}

// Messages returns every message accepted so far (since the last
// [Server.Reset], and as far as [RetainMessages] keeps them), in
// acceptance order. It is a snapshot: later traffic does not change it,
// and changing it does not change the server's record. Every message
// acknowledged with 250 is in it before the client reads that reply. It
// copies every message's data, outside the server's lock; for a list of
// many large messages, [Server.Summaries] costs less.
func (s *Server) Messages() []*Message {
	s.mu.Lock()
	msgs := slices.Clone(s.msgs)
	s.mu.Unlock()
	return cloneMessages(msgs) // outside the lock: recording goes on
}

// MessageByID returns a copy of the message with this [Message.ID], or
// false if the record does not hold it (never received, forgotten by
// [Server.Reset] or by retention). It costs that one message, whatever
// the record holds.
func (s *Server) MessageByID(id int) (*Message, bool) {
	s.mu.Lock()
	var m *Message
	for i := len(s.msgs) - 1; i >= 0; i-- { // recent ones are asked for most
		if s.msgs[i].ID == id {
			m = s.msgs[i]
			break
		}
	}
	s.mu.Unlock()
	if m == nil {
		return nil, false
	}
	return m.clone(), true
}

// Summary describes a recorded message without its data, for lists: what
// [Server.Summaries] returns. Nothing in it is shared with the record.
type Summary struct {
	ID int
	Envelope
	Subject  string // decoded; "" if there is none or the header cannot be read
	Size     int    // bytes of Data
	ConnID   int
	Helo     string
	Remote   netip.AddrPort
	TLS      *TLSInfo
	AuthUser string
	AuthMech string
	Received time.Time
}

// Summary returns the summary of m.
func (m *Message) Summary() Summary {
	subject, _ := m.summarySubject()
	sum := Summary{
		ID: m.ID, Envelope: Envelope{From: m.From, To: slices.Clone(m.To)}, Subject: subject, Size: len(m.Data),
		ConnID: m.ConnID, Helo: m.Helo, Remote: m.Remote, AuthUser: m.AuthUser, AuthMech: m.AuthMech, Received: m.Received,
	}
	if m.TLS != nil {
		t := *m.TLS
		sum.TLS = &t
	}
	return sum
}

// Summaries returns a summary of every message kept, in acceptance order.
// Unlike [Server.Messages] it copies no message data: a list of many large
// messages costs the list, and recording is not held up while it is made.
func (s *Server) Summaries() []Summary {
	s.mu.Lock()
	msgs := slices.Clone(s.msgs)
	s.mu.Unlock()
	out := make([]Summary, len(msgs))
	for i, m := range msgs {
		out[i] = m.Summary() // reads the shared message, changes nothing
	}
	return out
}

// Stats counts what a server did since it started; neither [Server.Reset]
// nor retention lowers them.
type Stats struct {
	Messages     int   // messages recorded
	MessageBytes int64 // bytes of their Data
	Rejections   int   // refusals recorded
	Connections  int   // connections accepted

	// What retention forgot (see [RetainMessages], [RetainTranscripts],
	// [RetainRejections]).
	DiscardedMessages    int
	DiscardedRejections  int
	DiscardedTranscripts int

	// What the record holds now, unlike the counts above: the messages
	// kept and the bytes of their Data ([Server.Reset], retention and
	// [Server.DeleteMessages] lower them).
	KeptMessages int
	KeptBytes    int64
}

// Stats returns the server's counts.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.KeptMessages, st.KeptBytes = len(s.msgs), s.msgBytes
	return st
}

// Rejections returns every refusal the server made so far, in order, as a
// copy.
func (s *Server) Rejections() []Rejection {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.rejs)
}

// Reset forgets the messages, rejections and [Server.Notices] recorded so
// far, and the transcripts of closed connections. The configuration, the
// open connections and their transcripts, the faults and their counters,
// the message IDs and [Server.Stats] go on.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs, s.msgBytes, s.received = nil, 0, 0
	s.rejs, s.rejected = nil, 0
	s.transcripts = slices.DeleteFunc(s.transcripts, func(t *transcript) bool {
		if t.closed {
			delete(s.shown, t)
		}
		return t.closed
	})
	s.closedTranscripts = 0
	s.notices.reset()
}

// DeleteMessages forgets the messages with these IDs and returns how many
// it found. Unlike [Server.Reset] it leaves the rejections and
// transcripts alone, and the count the waits wait for: a deleted message
// still counts as received. IDs are never reused.
func (s *Server) DeleteMessages(ids ...int) int {
	drop := make(map[int]bool, len(ids))
	for _, id := range ids {
		drop[id] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.msgs)
	s.msgs = slices.DeleteFunc(s.msgs, func(m *Message) bool {
		if drop[m.ID] {
			s.msgBytes -= int64(len(m.Data))
			return true
		}
		return false
	})
	return n - len(s.msgs)
}

// WaitForMessages blocks until at least n messages have been accepted
// (since the server started or was last Reset; messages retention forgot
// count too), or timeout passes, and returns every message kept (as
// [Server.Messages] does). It wakes as soon as the n-th message is
// recorded.
//
// On timeout, a server made by [NewServer] fails its test (like t.Fatal),
// with the messages received and the SMTP transcript; so WaitForMessages
// must be called from the test's goroutine. A server made by [Start]
// returns what it has. Other goroutines, and subtests sharing a server,
// use [Server.WaitForMessagesContext].
func (s *Server) WaitForMessages(n int, timeout time.Duration) []*Message {
	if s.t != nil {
		s.t.Helper()
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	msgs, err := s.WaitForMessagesContext(ctx, n)
	if err != nil && s.t != nil {
		s.t.Fatalf("smtptest: WaitForMessages(%d, %v): %v\n%s\n%s", n, timeout, err, report.Received(msgs), s.Transcript())
	}
	return msgs
}

// WaitForMessagesContext blocks until at least n messages have been
// accepted and returns every message accepted so far. If ctx ends first, or
// the server closes, it returns what it has and an error that says how many
// arrived, wrapping ctx.Err() or [ErrServerClosed]. It is safe to call from
// any goroutine.
func (s *Server) WaitForMessagesContext(ctx context.Context, n int) ([]*Message, error) {
	got, msgs, err := waitFor(s, ctx, n, func() int { return s.received }, func() []*Message { return slices.Clone(s.msgs) })
	msgs = cloneMessages(msgs) // outside the lock
	if err != nil {
		return msgs, fmt.Errorf("got %d of %d messages: %w", got, n, err)
	}
	return msgs, nil
}

// WaitForMessageCount blocks until at least n messages have been accepted
// (counted as [Server.WaitForMessagesContext] counts them), ctx ends or
// the server closes, and returns how many were; with an error like
// WaitForMessagesContext's if ctx ended or the server closed first. It
// copies nothing: follow it with [Server.Summaries] or
// [Server.MessageByID] to read what arrived.
func (s *Server) WaitForMessageCount(ctx context.Context, n int) (int, error) {
	got, _, err := waitFor(s, ctx, n, func() int { return s.received }, func() []struct{} { return nil })
	if err != nil {
		return got, fmt.Errorf("got %d of %d messages: %w", got, n, err)
	}
	return got, nil
}

// WaitForQuiet blocks until no message has been accepted for quiet: a
// settled wait, for a sender that works in the background and must send
// exactly so many (WaitForMessagesContext returns as soon as there are
// enough, so a job that sends two too many would pass). It returns every
// message accepted so far. If ctx ends, or the server closes, before the
// record has been quiet that long, it returns what it has and an error
// wrapping ctx.Err() or [ErrServerClosed]. Each message that arrives
// restarts the quiet time: a sender that never pauses keeps it waiting
// until ctx ends. It is safe to call from any goroutine.
func (s *Server) WaitForQuiet(ctx context.Context, quiet time.Duration) ([]*Message, error) {
	for {
		n, err := s.WaitForMessageCount(ctx, 0)
		if err != nil {
			return s.Messages(), err
		}
		wait, cancel := context.WithTimeout(ctx, quiet)
		_, err = s.WaitForMessageCount(wait, n+1)
		cancel()
		switch {
		case err == nil: // another message: the quiet time starts again
		case ctx.Err() != nil:
			return s.Messages(), fmt.Errorf("not quiet for %v: %w", quiet, ctx.Err())
		case errors.Is(err, context.DeadlineExceeded):
			return s.Messages(), nil // quiet for the whole time
		default:
			return s.Messages(), err // the server closed
		}
	}
}

// WaitForRejectionsContext blocks until at least n rejections have been
// recorded and returns them all, for clients that are refused in the
// background. Like [Server.WaitForMessagesContext], it returns what it has
// and an error if ctx ends or the server closes first.
func (s *Server) WaitForRejectionsContext(ctx context.Context, n int) ([]Rejection, error) {
	got, rejs, err := waitFor(s, ctx, n, func() int { return s.rejected }, func() []Rejection { return slices.Clone(s.rejs) })
	if err != nil {
		return rejs, fmt.Errorf("got %d of %d rejections: %w", got, n, err)
	}
	return rejs, nil
}

// waitFor waits until the record holds n elements (count, called with s.mu
// held, says how many), ctx ends, or the server closes; it returns the
// count and snapshot, taken under the same lock (snapshot must be cheap:
// copy pointers under the lock, data outside it).
func waitFor[T any](s *Server, ctx context.Context, n int, count func() int, snapshot func() []T) (int, []T, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		switch {
		case count() >= n:
			return count(), snapshot(), nil
		case s.closing:
			return count(), snapshot(), ErrServerClosed
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
			s.mu.Lock()
		case <-ctx.Done():
			s.mu.Lock()
			if count() >= n {
				return count(), snapshot(), nil
			}
			return count(), snapshot(), ctx.Err()
		}
	}
}

// String describes m on one line: envelope, subject, size and connection,
// as failure messages list it.
func (m *Message) String() string {
	subject, err := m.summarySubject() // Subject's answer, cheaper
	if err != nil {
		subject = "(unreadable header: " + err.Error() + ")"
	} else {
		subject = fmt.Sprintf("%q", subject)
	}
	to := make([]string, len(m.To))
	for i, a := range m.To {
		to[i] = "<" + a + ">"
	}
	return fmt.Sprintf("from <%s> to %s subject %s (%d bytes, conn %d)", m.From, strings.Join(to, ", "), subject, len(m.Data), m.ConnID)
}

func cloneMessages(msgs []*Message) []*Message {
	out := make([]*Message, len(msgs))
	for i, m := range msgs {
		out[i] = m.clone()
	}
	return out
}

// clone returns a deep copy of m: nothing in it shares memory with m.
func (m *Message) clone() *Message {
	c := *m
	c.To = slices.Clone(m.To)
	c.Data = slices.Clone(m.Data)
	c.view = newView(c.Data)
	if m.TLS != nil {
		t := *m.TLS
		c.TLS = &t
	}
	if m.MailOptions.Auth != nil {
		a := *m.MailOptions.Auth
		c.MailOptions.Auth = &a
	}
	if m.RcptOptions != nil {
		c.RcptOptions = make([]smtp.RcptOptions, len(m.RcptOptions))
		for i, o := range m.RcptOptions {
			c.RcptOptions[i] = cloneRcptOptions(o)
		}
	}
	return &c
}

func cloneRcptOptions(o smtp.RcptOptions) smtp.RcptOptions {
	o.Notify = slices.Clone(o.Notify)
	if o.DeliverBy != nil {
		d := *o.DeliverBy
		o.DeliverBy = &d
	}
	if o.MTPriority != nil {
		p := *o.MTPriority
		o.MTPriority = &p
	}
	return o
}
