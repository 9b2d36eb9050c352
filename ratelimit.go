package smtptest

import (
	"errors"
	"net/netip"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// RateLimit slows a sender down the way big receivers do (Gmail's "421
// 4.7.28 ... unusual rate", Microsoft's "421 4.7.0 ... throttled"),
// per client address: a token bucket for each of messages (taken at
// MAIL), recipients (at RCPT) and connections (at the greeting), each
// holding its rate's worth and refilled evenly over Period; a client
// that finds one empty is answered 421 4.7.0 and disconnected. Concurrent
// caps the connections a client has open at once, as Postfix's
// smtpd_client_connection_count_limit (421 4.7.0 "too many
// connections").
//
// RateLimit is an [Option]. Its refusals are [Rejection]s like any
// other. Faults act before it; ValidateHost, ValidateSender and
// ValidateRecipient after it. Time comes from Clock: a [FakeClock] lets a
// test refill the buckets with Advance instead of waiting. Where it
// differs from the real ones: the limits are per address, not per
// reputation, and exact, not statistical.
type RateLimit struct {
	Messages    int           // messages per Period from one client; 0: no limit
	Recipients  int           // recipients per Period; 0: no limit
	Connections int           // connections per Period; 0: no limit
	Period      time.Duration // 0: a minute
	Concurrent  int           // connections open at once from one client; 0: no limit
	Clock       Clock         // nil: the real time
}

func (r RateLimit) apply(c *config) error {
	if r.Messages < 0 || r.Recipients < 0 || r.Connections < 0 || r.Concurrent < 0 || r.Period < 0 {
		return errors.New("smtptest: RateLimit: negative limits")
	}
	if r.Period == 0 {
		r.Period = time.Minute
	}
	if r.Clock == nil {
		r.Clock = realClock{}
	}
	c.rateLimit = &limiter{RateLimit: r, clients: map[netip.Addr]*clientRate{}}
	return nil
}

// limiter is a server's rate limiting state.
type limiter struct {
	RateLimit
	mu      sync.Mutex
	clients map[netip.Addr]*clientRate
}

// clientRate is one client's buckets and open connections.
type clientRate struct {
	messages, recipients, connections bucket
	open                              int
}

// bucket is a token bucket: tokens at the time last.
type bucket struct {
	tokens float64
	last   time.Time
	ready  bool
}

// take takes a token of a bucket holding size, refilled over period; it
// reports whether there was one.
func (b *bucket) take(size int, period time.Duration, now time.Time) bool {
	if !b.ready {
		b.tokens, b.last, b.ready = float64(size), now, true
	}
	b.tokens = min(float64(size), b.tokens+float64(size)*float64(now.Sub(b.last))/float64(period))
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (l *limiter) client(a netip.Addr) *clientRate {
	cr := l.clients[a]
	if cr == nil {
		cr = &clientRate{}
		l.clients[a] = cr
	}
	return cr
}

var (
	replyTooManyConnections = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Too many connections from your address: try again later"}
	replyConnectionRate     = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Connection rate limit exceeded: slow down"}
	replyMessageRate        = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Message rate limit exceeded: slow down"}
	replyRecipientRate      = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Recipient rate limit exceeded: slow down"}
)

// connect counts a connection of client a: nil to greet it, or the
// refusal. A connection counted must be let go with disconnect.
func (l *limiter) connect(a netip.Addr) *smtp.SMTPError {
	now := l.Clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	cr := l.client(a)
	if l.Concurrent > 0 && cr.open >= l.Concurrent {
		return replyTooManyConnections
	}
	if l.Connections > 0 && !cr.connections.take(l.Connections, l.Period, now) {
		return replyConnectionRate
	}
	cr.open++
	return nil
}

// disconnect lets a counted connection of a go.
func (l *limiter) disconnect(a netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if cr := l.clients[a]; cr != nil && cr.open > 0 {
		cr.open--
	}
}

// message takes a message token of a at MAIL.
func (l *limiter) message(a netip.Addr) *smtp.SMTPError {
	return l.take(a, l.Messages, func(cr *clientRate) *bucket { return &cr.messages }, replyMessageRate)
}

// recipient takes a recipient token of a at RCPT.
func (l *limiter) recipient(a netip.Addr) *smtp.SMTPError {
	return l.take(a, l.Recipients, func(cr *clientRate) *bucket { return &cr.recipients }, replyRecipientRate)
}

// take takes a token of a's bucket that which picks, holding size (0:
// no limit), and returns refusal if there is none.
func (l *limiter) take(a netip.Addr, size int, which func(*clientRate) *bucket, refusal *smtp.SMTPError) *smtp.SMTPError {
	if size == 0 {
		return nil
	}
	now := l.Clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if !which(l.client(a)).take(size, l.Period, now) {
		return refusal
	}
	return nil
}
