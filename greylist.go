package smtptest

import (
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Greylist makes the server greylist, as Postgrey, sqlgrey and Exim's
// greylisting do: the first attempt of each triplet (the client's
// address, the sender, the recipient) is answered at RCPT with a
// temporary refusal, 451 4.7.1; the same triplet tried again Delay or
// more later is accepted, and from then on at once (the triplet is
// remembered for the server's life). A sender that does not retry, or
// retries too soon, never gets through: what greylisting tests.
//
// Greylist is an [Option]. Its refusals are [Rejection]s at [StageRcpt]
// like any other. Faults act before it, and ValidateRecipient after it.
// Where it differs from Postgrey: the client is its address, not its
// /24 network; there is no retry window (Postgrey forgets a triplet not
// retried within two days) and no auto-whitelisting of clients; and
// Postgrey's reply is "450 4.2.0 ... Greylisted" (set Reply for it).
type Greylist struct {
	// Delay is how long after the first attempt a retry is accepted at
	// the earliest: 0 means 1 s (Postgrey's default is 300 s).
	Delay time.Duration
	// Clock tells the time; nil is the real time. With a [FakeClock] a
	// test advances past Delay instead of waiting for it.
	Clock Clock
	// Reply is the refusal; nil means 451 4.7.1 "Greylisted: try again
	// later". It must be 4xx.
	Reply *smtp.SMTPError
}

func (g Greylist) apply(c *config) error {
	if g.Delay < 0 {
		return errors.New("smtptest: Greylist: a negative Delay")
	}
	if g.Reply != nil && (g.Reply.Code < 400 || g.Reply.Code > 499) {
		return errors.New("smtptest: Greylist: Reply must be 4xx (a temporary refusal: the client is to retry)")
	}
	if g.Delay == 0 {
		g.Delay = time.Second
	}
	if g.Clock == nil {
		g.Clock = realClock{}
	}
	if g.Reply == nil {
		g.Reply = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Greylisted: try again later"}
	}
	c.greylist = &greylister{Greylist: g, seen: map[triplet]time.Time{}, passed: map[triplet]bool{}}
	return nil
}

// greylister is a server's greylisting state.
type greylister struct {
	Greylist
	mu     sync.Mutex
	seen   map[triplet]time.Time // the first attempt of each triplet
	passed map[triplet]bool      // the triplets let through
}

type triplet struct{ client, from, to string }

// check answers a RCPT of to, from client, in a transaction from from:
// nil to go on, or the refusal.
func (g *greylister) check(client, from, to string) *smtp.SMTPError {
	t := triplet{client, strings.ToLower(from), strings.ToLower(to)}
	now := g.Clock.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.passed[t] {
		return nil
	}
	first, ok := g.seen[t]
	if !ok {
		g.seen[t] = now
		return g.Reply
	}
	if now.Sub(first) < g.Delay {
		return g.Reply // too soon: Postgrey does not restart the wait either
	}
	g.passed[t] = true
	delete(g.seen, t)
	return nil
}
