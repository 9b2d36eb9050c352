package assert

import (
	"context"
	"slices"
	"time"

	"github.com/smtptest/smtptest"
)

// scope selects the messages (and with them the rejections) a test cares
// about on a server it shares with others.
type scope struct {
	addr string                       // an envelope recipient; "" if none
	keep func(*smtptest.Message) bool // nil if none
}

// To returns a Checker whose checks see only the messages with addr among
// their envelope recipients (compared as SMTP does), and only the
// rejections of addr and of the connections that sent those messages:
// parallel tests that share one server (made in TestMain, say) each check
// their own mail, wait for their own messages, and a failure shows only
// theirs and the transcripts of the connections concerned.
//
// A scope only separates what differs: a server shared across runs (go
// test -count=3, one made in TestMain) still holds earlier runs' mail to
// the same address. Make the address unique per run (ann+<n>@example.org,
// given to the code under test), or scope with [Where] by something only
// this run sends.
func To(addr string) Checker { return Checker{}.To(addr) }

// Where is like [To], with any predicate over the messages.
func Where(keep func(m *smtptest.Message) bool) Checker { return Checker{}.Where(keep) }

// To returns a copy of c that sees only addr's messages (see [To]).
func (c Checker) To(addr string) Checker {
	c.scope = c.scope.with(addr, nil)
	return c
}

// Where returns a copy of c that sees only the messages keep selects; with
// To, a message must pass both.
func (c Checker) Where(keep func(m *smtptest.Message) bool) Checker {
	c.scope = c.scope.with("", keep)
	return c
}

func (s *scope) with(addr string, keep func(*smtptest.Message) bool) *scope {
	n := &scope{}
	if s != nil {
		*n = *s
	}
	if addr != "" {
		n.addr = addr
	}
	if keep != nil {
		if prev := n.keep; prev != nil {
			n.keep = func(m *smtptest.Message) bool { return prev(m) && keep(m) }
		} else {
			n.keep = keep
		}
	}
	return n
}

// scopeText names c's scope for a failure message: " for bob@example.org",
// " in scope", or "" when c has none.
func (c Checker) scopeText() string {
	switch {
	case c.scope == nil:
		return ""
	case c.scope.addr != "":
		return " for " + c.scope.addr
	}
	return " in scope"
}

// selects reports whether m is in scope.
func (s *scope) selects(m *smtptest.Message) bool {
	if s.addr != "" && !slices.ContainsFunc(m.To, func(to string) bool { return sameAddr(to, s.addr) }) {
		return false
	}
	return s.keep == nil || s.keep(m)
}

// messages returns what srv received (in scope), after waiting (with
// Within) until it holds n messages in scope.
func (c Checker) messages(srv *smtptest.Server, n int) []*smtptest.Message {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), c.wait)
	defer cancel()
	var mine []*smtptest.Message
	total := 0 // how many messages of all were seen
	for want := n; ; {
		all, err := srv.WaitForMessagesContext(ctx, want)
		mine, total = c.inScope(all), len(all)
		if len(mine) >= n || err != nil {
			break
		}
		want = len(all) + 1 // someone else's: wait for the next one
	}
	if c.settle <= 0 {
		return mine
	}
	// Settled: wait until no message in scope came for c.settle, at
	// most until the Within time plus c.settle.
	last := len(mine)
	deadline := start.Add(c.wait + c.settle)
	quietUntil := time.Now().Add(c.settle)
	for {
		wait, cancel := context.WithDeadline(context.Background(), minTime(quietUntil, deadline))
		all, err := srv.WaitForMessagesContext(wait, total+1)
		cancel()
		mine, total = c.inScope(all), len(all)
		if err != nil {
			return mine // quiet (or the deadline, or the server closed)
		}
		if len(mine) > last {
			last = len(mine)
			quietUntil = time.Now().Add(c.settle) // one more in scope: quiet again from now
		}
	}
}

// minTime is the earlier of a and b.
func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// inScope filters msgs.
func (c Checker) inScope(msgs []*smtptest.Message) []*smtptest.Message {
	if c.scope == nil {
		return msgs
	}
	var out []*smtptest.Message
	for _, m := range msgs {
		if c.scope.selects(m) {
			out = append(out, m)
		}
	}
	return out
}

// rejectionsInScope filters rejs: those of the scope's address, and those
// of the connections that sent messages in scope.
func (c Checker) rejectionsInScope(srv *smtptest.Server, rejs []smtptest.Rejection) []smtptest.Rejection {
	if c.scope == nil {
		return rejs
	}
	conns := map[int]bool{}
	for _, m := range c.inScope(srv.Messages()) {
		conns[m.ConnID] = true
	}
	var out []smtptest.Rejection
	for _, r := range rejs {
		if conns[r.ConnID] || (c.scope.addr != "" && sameAddr(r.Arg, c.scope.addr)) {
			out = append(out, r)
		}
	}
	return out
}

// rejections returns the rejections in scope, after waiting (with Within)
// until there are n.
func (c Checker) rejections(ctx context.Context, srv *smtptest.Server, n int) ([]smtptest.Rejection, error) {
	if c.scope == nil {
		return srv.WaitForRejectionsContext(ctx, n)
	}
	for total := n; ; {
		all, err := srv.WaitForRejectionsContext(ctx, total)
		mine := c.rejectionsInScope(srv, all)
		if len(mine) >= n || err != nil {
			return mine, err
		}
		total = len(all) + 1
	}
}

// transcript is the transcript a failure shows: everything, or in scope
// the connections of these messages and rejections.
func (c Checker) transcript(srv *smtptest.Server, msgs []*smtptest.Message, rejs []smtptest.Rejection) string {
	if c.scope == nil {
		return srv.TranscriptForFailure()
	}
	var ids []int
	for _, m := range msgs {
		ids = append(ids, m.ConnID)
	}
	for _, r := range rejs {
		ids = append(ids, r.ConnID)
	}
	if c.scope.addr != "" {
		// The connections that tried to send to the address, and were
		// refused.
		for _, r := range srv.Rejections() {
			if sameAddr(r.Arg, c.scope.addr) {
				ids = append(ids, r.ConnID)
			}
		}
	}
	if len(ids) == 0 {
		return "(no connection sent this test's mail)"
	}
	return srv.TranscriptOf(ids...)
}
