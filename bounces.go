package smtptest

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Bounces makes the server accept mail for the recipients it matches and
// bounce it afterwards, as a relay does when the mailbox behind it turns
// out not to exist, is full, or stays unreachable: every message to a
// matching recipient gets 250, then, Delay later, a delivery status
// notification ([Server.Bounce]) goes to its return path. A recipient
// that asked for it with NOTIFY=DELAY gets a "delayed" DSN at once when
// there is a Delay (RFC 3461 4.1; Postfix sends these only with
// delay_warning_time set), and a recipient that matches no Bounces and
// asked with NOTIFY=SUCCESS gets a "delivered" DSN at once, as a final
// mail system does.
//
// The notices go over SMTP (or LMTP) to SendTo, the app's inbound mail
// server, which may be another smtptest server; with no SendTo they are
// only kept. Either way they are in [Server.Notices], with when they were
// sent or why sending failed. Bounces is an [Option]; give several for
// several kinds of recipients (the first that matches decides).
type Bounces struct {
	// Match names the recipients: an address or a glob ("*@gone.example"),
	// case-insensitive, as [Fault] Match; "" is every recipient.
	Match string
	// Status is what the DSN says; the zero value is a failure, 550 5.1.1
	// "User unknown".
	Status DeliveryStatus
	// Delay is how long after the message was accepted the DSN is made
	// and sent; 0 makes it before the reply to the message's data and
	// sends it right after.
	Delay time.Duration
	// Clock times Delay; nil is the real time. With a [FakeClock] the
	// DSN is made and sent within the Advance that passes Delay, so a
	// test need not wait.
	Clock Clock
	// SendTo is the "host:port" (for LMTP also a Unix socket path) the
	// notices are delivered to; [SendToSelf] is this server, where the
	// DSNs join the mail it caught (cmd/smtptest's default); "" keeps them
	// in [Server.Notices] only.
	SendTo string
	// LMTP delivers with LMTP instead of SMTP.
	LMTP bool
}

func (b Bounces) apply(c *config) error {
	if _, err := path.Match(strings.ToLower(b.Match), ""); err != nil {
		return fmt.Errorf("smtptest: Bounces: Match %q: %w", b.Match, err)
	}
	if _, err := b.Status.reply(); err != nil {
		return fmt.Errorf("smtptest: Bounces: Status: %w", err)
	}
	if b.Delay < 0 {
		return errors.New("smtptest: Bounces: a negative Delay")
	}
	if b.Clock == nil {
		b.Clock = realClock{}
	}
	c.bounces = append(c.bounces, &bounceRule{Bounces: b, match: newFaultEntry(Fault{Match: b.Match})})
	return nil
}

// SendToSelf as [Bounces] SendTo delivers the notices to the server that
// made them.
const SendToSelf = "self"

// bounceRule is a Bounces as the server holds it.
type bounceRule struct {
	Bounces
	match *faultEntry
}

// noticeTimeout bounds the delivery of one notice.
const noticeTimeout = 30 * time.Second

// notices is what a server keeps of the notices its Bounces made: the
// notices, the timers of those to come and the deliveries under way.
type notices struct {
	mu      sync.Mutex
	list    []*Notice
	timers  map[*func() bool]struct{}
	closed  bool
	sending sync.WaitGroup
	ctx     context.Context // ends at Close: deliveries under way give up
	cancel  context.CancelFunc
}

// Notices returns the notices the server's [Bounces] made, in the order
// they were made: copies, each with when it was sent or why sending
// failed. [Server.Reset] forgets them.
func (s *Server) Notices() []*Notice {
	s.notices.mu.Lock()
	defer s.notices.mu.Unlock()
	out := make([]*Notice, len(s.notices.list))
	for i, n := range s.notices.list {
		c := *n
		c.Data = slices.Clone(n.Data)
		out[i] = &c
	}
	return out
}

// scheduleBounces arranges the notices the Bounces options make for m,
// just recorded on connection c.
func (s *Server) scheduleBounces(c *conn, m *Message) {
	matched := make([][]string, len(s.cfg.bounces))
	var delivered []string
	for i, to := range m.To {
		j := slices.IndexFunc(s.cfg.bounces, func(r *bounceRule) bool { return r.match.matches([]string{to}) })
		if j < 0 {
			if slices.Contains(rcptOptions(m, i).Notify, smtp.DSNNotifySuccess) {
				delivered = append(delivered, to)
			}
			continue
		}
		matched[j] = append(matched[j], to)
	}
	if len(delivered) > 0 {
		// The first rule's destination is where this server's notices go.
		s.makeNotice(c, s.cfg.bounces[0], m, DeliveryStatus{Action: ActionDelivered}, delivered)
	}
	for j, rcpts := range matched {
		if len(rcpts) == 0 {
			continue
		}
		r := s.cfg.bounces[j]
		if r.Delay == 0 {
			s.makeNotice(c, r, m, r.Status, rcpts)
			continue
		}
		var warn []string
		for _, to := range rcpts {
			i := slices.Index(m.To, to)
			if r.Status.Action == ActionFailed && slices.Contains(rcptOptions(m, i).Notify, smtp.DSNNotifyDelayed) {
				warn = append(warn, to)
			}
		}
		if len(warn) > 0 {
			s.makeNotice(c, r, m, DeliveryStatus{Action: ActionDelayed, RemoteMTA: r.Status.RemoteMTA}, warn)
		}
		c.tr.note(fmt.Sprintf("a %s DSN of message %d for %s is due in %v", r.Status.Action, m.ID, strings.Join(rcpts, ", "), r.Delay))
		s.notices.after(r.Clock, r.Delay, func() { s.makeNotice(nil, r, m, r.Status, rcpts) })
	}
}

// after runs f after d by clock, unless the server closes first.
func (ns *notices) after(clock Clock, d time.Duration, f func()) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.closed {
		return
	}
	if ns.timers == nil {
		ns.timers = map[*func() bool]struct{}{}
	}
	stop := new(func() bool)
	ns.sending.Add(1)
	defer func() { ns.timers[stop] = struct{}{} }() // before f can look: f takes ns.mu
	*stop = afterFunc(clock, d, func() {
		defer ns.sending.Done()
		ns.mu.Lock()
		_, live := ns.timers[stop]
		delete(ns.timers, stop)
		ns.mu.Unlock()
		if live {
			f()
		}
	})
}

// makeNotice makes the DSN of rule r for rcpts of m, keeps it, and sends
// it to r.SendTo, if any, on a goroutine of its own. c is the connection
// that sent m when this happens before its reply, nil later.
func (s *Server) makeNotice(c *conn, r *bounceRule, m *Message, st DeliveryStatus, rcpts []string) {
	n, err := s.bounce(r.Clock.Now(), m, st, rcpts)
	if err != nil {
		if !errors.Is(err, ErrNoNotice) {
			s.errorf("smtptest: Bounces: message %d: %v", m.ID, err)
		}
		return
	}
	ns := &s.notices
	ns.mu.Lock()
	if ns.closed {
		ns.mu.Unlock()
		return
	}
	ns.list = append(ns.list, n)
	if r.SendTo == "" {
		ns.mu.Unlock()
		return
	}
	ns.sending.Add(1)
	ns.mu.Unlock()
	addr := r.SendTo
	if addr == SendToSelf {
		addr = s.Addr()
	}
	if c != nil {
		c.tr.note(fmt.Sprintf("a %s DSN of message %d goes to <%s> at %s", st.Action, m.ID, n.To, addr))
	}
	send := func() {
		defer ns.sending.Done()
		ctx, cancel := context.WithTimeout(ns.ctx, noticeTimeout)
		defer cancel()
		var err error
		if r.LMTP {
			err = n.SendLMTP(ctx, addr)
		} else {
			err = n.Send(ctx, addr)
		}
		ns.mu.Lock()
		if err != nil {
			n.Err = err
		} else {
			n.Sent = r.Clock.Now()
		}
		ns.mu.Unlock()
		if err != nil && ns.ctx.Err() == nil {
			s.logf("%v", err)
		}
	}
	if c != nil {
		go send() // off the connection: the reply does not wait for the delivery
	} else {
		send() // on the timer's goroutine, or within FakeClock.Advance
	}
}

// close stops the notices to come and ends the deliveries under way,
// waiting for them until ctx ends.
func (ns *notices) close(ctx context.Context) {
	ns.mu.Lock()
	ns.closed = true
	for stop := range ns.timers {
		if (*stop)() {
			ns.sending.Done()
		}
	}
	ns.timers = nil
	ns.mu.Unlock()
	if ns.cancel == nil {
		return // no Bounces: nothing was ever sent
	}
	ns.cancel()
	done := make(chan struct{})
	go func() { ns.sending.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// reset forgets the notices made so far.
func (ns *notices) reset() {
	ns.mu.Lock()
	ns.list = nil
	ns.mu.Unlock()
}
