package smtptest

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-smtp"
)

// backend is the go-smtp Backend: one session per connection, made at the
// first HELO/EHLO.
type backend struct{ s *Server }

func (b backend) NewSession(sc *smtp.Conn) (smtp.Session, error) {
	c, ok := sc.Conn().(*conn)
	if !ok {
		return nil, errors.New("smtptest: internal error: connection without a front")
	}
	return &session{srv: b.s, c: c, sc: sc}, nil
}

// session is one client's go-smtp session. go-smtp calls Mail, Rcpt,
// Reset and Logout on the connection's goroutine, and Data there (DATA) or
// on a goroutine of its own (BDAT), never two at once. Of its connection's
// front it reads the facts (id, remote, transcript) and uses tlsInfo,
// dataBody and applyFaults; it never writes to it, and the front never
// reads the session.
type session struct {
	srv *Server
	c   *conn
	sc  *smtp.Conn

	authUser string // the identity AUTH established; "" if none
	authMech string // the mechanism it used

	// The transaction: set by Mail and Rcpt, handed to the Message by Data,
	// cleared by Reset (which go-smtp calls after every message).
	mail     bool
	from     string
	mailOpts smtp.MailOptions
	helo     string
	tls      *TLSInfo
	to       []string
	rcptOpts []smtp.RcptOptions
}

var errTooBig = smtp.ErrDataTooLarge // 552 5.3.4

func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	if opts.Size > s.srv.cfg.maxMessageBytes {
		return errTooBig
	}
	if s.srv.cfg.requireTLS && s.c.tlsInfo() == nil {
		return errTLSRequired
	}
	if s.srv.cfg.requireAuth && s.authUser == "" {
		return errAuthRequired
	}
	if l := s.srv.cfg.rateLimit; l != nil {
		if rep := l.message(s.c.remote.Addr()); rep != nil {
			return rep
		}
	}
	if h := s.srv.cfg.hooks.ValidateSender; h != nil {
		if rep := s.srv.callHook(s.c, "ValidateSender", &defaultSenderReply, func() error { return h(from) }); rep != nil {
			return rep
		}
	}
	s.mail, s.from, s.mailOpts = true, from, *opts
	s.helo, s.tls = s.sc.Hostname(), s.c.tlsInfo()
	return nil
}

func (s *session) Rcpt(to string, opts *smtp.RcptOptions) error {
	if l := s.srv.cfg.rateLimit; l != nil {
		if rep := l.recipient(s.c.remote.Addr()); rep != nil {
			return rep
		}
	}
	if g := s.srv.cfg.greylist; g != nil {
		if rep := g.check(s.c.remote.Addr().String(), s.from, to); rep != nil {
			return rep
		}
	}
	if h := s.srv.cfg.hooks.ValidateRecipient; h != nil {
		if rep := s.srv.callHook(s.c, "ValidateRecipient", &defaultRcptReply, func() error { return h(to) }); rep != nil {
			return rep
		}
	}
	s.to = append(s.to, to)
	if s.rcptOpts != nil || !zeroRcptOptions(opts) {
		// Only once some recipient has parameters: the zeros of those
		// before it first.
		for len(s.rcptOpts) < len(s.to)-1 {
			s.rcptOpts = append(s.rcptOpts, smtp.RcptOptions{})
		}
		s.rcptOpts = append(s.rcptOpts, *opts)
	}
	return nil
}

// Data reads the message, runs the delivery hooks and records the message
// before it returns: go-smtp sends 250 only after that, so a client never
// sees 250 for a message that is not in the record.
func (s *session) Data(r io.Reader) error {
	if br := s.c.dataBody(); br != nil {
		// DATA, on the connection's goroutine: the front reads the body in
		// bulk instead of go-smtp's byte-at-a-time reader (see bodyReader).
		defer br.finish()
		r = br
	}
	if !s.srv.userCode.enterBody(s.c) {
		return errShuttingDown
	}
	defer s.srv.userCode.leaveBody(s.c)

	data, err := readMessage(r, s.srv.cfg.maxMessageBytes)
	if err != nil {
		return err
	}
	if len(s.srv.faults.load()) > 0 {
		// Faults act before the hooks.
		switch o := s.c.applyFaults(StageEndOfData, "", s.to, ""); {
		case o.over:
			return errDropped
		case o.reply != nil:
			return o.reply
		}
	}
	m := &Message{
		ID:          s.srv.nextMessageID(),
		Envelope:    Envelope{From: s.from, To: s.to},
		Data:        data,
		ConnID:      s.c.id,
		Helo:        s.helo,
		Remote:      s.c.remote,
		TLS:         s.tls,
		AuthUser:    s.authUser,
		AuthMech:    s.authMech,
		MailOptions: s.mailOpts,
		RcptOptions: s.rcptOpts,
		Received:    time.Now(),
		view:        newLightView(data),
	}
	if opts := s.srv.cfg.rejectMalformed; opts != nil {
		if rep := malformed(m, opts); rep != nil {
			return rep
		}
	}
	hooks := &s.srv.cfg.hooks
	if h := hooks.Deliver; h != nil {
		if rep := s.srv.callHook(s.c, "Deliver", &defaultDeliverReply, func() error { return h(m) }); rep != nil {
			return rep
		}
	}
	if h := hooks.DeliverMIME; h != nil {
		e, err := message.Read(bytes.NewReader(m.Data))
		if e == nil {
			return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: replyText("Cannot parse message: "+err.Error(), "")}
		}
		env := Envelope{From: m.From, To: slices.Clone(m.To)}
		if rep := s.srv.callHook(s.c, "DeliverMIME", &defaultDeliverReply, func() error { return h(env, e) }); rep != nil {
			return rep
		}
	}
	if !s.srv.record(m) {
		return errShuttingDown
	}
	if len(s.srv.cfg.bounces) > 0 {
		s.srv.scheduleBounces(s.c, m)
	}
	return nil
}

// Reset ends the transaction. The Message made by Data keeps the slices.
func (s *session) Reset() {
	s.mail, s.from, s.mailOpts = false, "", smtp.MailOptions{}
	s.to, s.rcptOpts = nil, nil
}

func (s *session) Logout() error { return nil }

// zeroRcptOptions reports whether a recipient came without parameters.
func zeroRcptOptions(o *smtp.RcptOptions) bool {
	return o.Notify == nil && o.OriginalRecipientType == "" && o.OriginalRecipient == "" &&
		o.RequireRecipientValidSince.IsZero() && o.DeliverBy == nil && o.MTPriority == nil
}

// chunkSize is the size of the buffers readMessage reads into.
const chunkSize = 8 << 10

// yieldChunks is how many chunks readMessage reads (256 KiB, about a
// millisecond's work) before it lets other goroutines run.
const yieldChunks = 32

// bodyChunks holds readMessage's buffers between messages.
var bodyChunks = sync.Pool{New: func() any { return new([chunkSize]byte) }}

// readMessage reads r to its end into a new slice and returns it, or
// errTooBig if it holds more than limit bytes. It reads into reused
// chunks, then copies them into one slice of the exact size: a message
// costs one allocation, its own size, whatever SIZE the client announced.
// (io.ReadAll allocates its growing chunks afresh for each message and
// zeroes them: for 256 KiB, 2.5 times the body, and the page faults that
// come with it.)
func readMessage(r io.Reader, limit int64) ([]byte, error) {
	var (
		array  [16]*[chunkSize]byte // 128 KiB before chunks spills to the heap
		chunks = array[:0]
		last   int // bytes in the last chunk
		total  int64
	)
	defer func() {
		for _, c := range chunks {
			bodyChunks.Put(c)
		}
	}()
	lr := &io.LimitedReader{R: r, N: limit + 1}
	for done := false; !done; {
		c := bodyChunks.Get().(*[chunkSize]byte)
		chunks = append(chunks, c)
		last = 0
		for last < chunkSize {
			n, err := lr.Read(c[last:])
			last += n
			if err == io.EOF {
				done = true
				break
			}
			if err != nil {
				return nil, err
			}
		}
		total += int64(last)
		if total > limit {
			return nil, errTooBig
		}
		if len(chunks)%yieldChunks == 0 {
			// A big body arrives as fast as the loopback carries it, so
			// this goroutine never waits on the network and would hold
			// its processor until the scheduler preempts it (10 ms),
			// while every other client's reply waits (with two
			// processors and the garbage collector's worker on the other
			// one, tens of milliseconds). Let them run now and then.
			runtime.Gosched()
		}
	}
	data := make([]byte, total)
	w := 0
	for i, c := range chunks {
		if i < len(chunks)-1 {
			w += copy(data[w:], c[:])
		} else {
			copy(data[w:], c[:last])
		}
	}
	return data, nil
}
