// Package assert turns what a [smtptest.Server] received into
// table-driven checks: a test states the mail it expects, field by field,
// and on a mismatch gets a go-cmp diff in the "(-want +got)" convention,
// the list of what did arrive, and the SMTP transcript.
//
//	assert.Delivered(t, srv, assert.Mail{
//		From:    "noreply@example.com",
//		To:      []string{"ann@example.org"},
//		Subject: "Welcome, Ann",
//		Text:    assert.Containing("Click the link below"),
//	})
//
// Fields of a [Mail] left zero are not compared. Every helper calls
// t.Helper, reports with t.Errorf (the test goes on; the helper's result
// says whether it passed), and checks what has arrived at the moment of the
// call. For mail sent in the background, [Within] makes the helpers wait
// up to a timeout, waking as each message arrives:
//
//	assert.Within(5*time.Second).Delivered(t, srv, want...)
//
// and [With] passes extra cmp.Options to the comparison:
//
//	assert.With(cmpopts.SortSlices(func(a, b string) bool { return a < b })).Delivered(t, srv, want...)
//
// A failure reads like this (the diff's exact layout is go-cmp's and may
// change):
//
//	assert.Delivered: message 1 of 1 mismatch (-want +got):
//	  assert.Mail{
//	  	From:    "noreply@example.com",
//	  	To:      {"ann@example.org"},
//	- 	Subject: "Welcome, Ann",
//	+ 	Subject: "Welcome, {{name}}",
//	  	Header:  nil,
//	  	Text:    s"(not compared)",
//	  	... // 2 identical fields
//	  }
//	1 message(s) received:
//	  1. from <noreply@example.com> to <ann@example.org> subject "Welcome, {{name}}" (84 bytes, conn 1)
//	SMTP transcript:
//	conn 1: 127.0.0.1:40112 -> 127.0.0.1:35431 at 10:31:07.112358
//	      0.061ms S: 220 localhost ESMTP smtptest
//	      ...
package assert

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/smtptest/smtptest"
)

// Checker runs the assertions with options: a time to wait for mail sent
// in the background, and extra cmp.Options. The zero Checker, which the
// package-level functions use, waits for nothing. A Checker is a value;
// its methods do not change it.
type Checker struct {
	wait   time.Duration
	settle time.Duration // 0: no settled wait
	opts   []cmp.Option
	scope  *scope // nil: every message and rejection
}

// Within returns a Checker that waits up to d for the expected mail (or
// rejections) to arrive before it compares. It waits on the server's
// record, waking as each message arrives, never by sleeping.
// [Checker.NoMail] waits the whole of d for mail that must not come.
func Within(d time.Duration) Checker { return Checker{}.Within(d) }

// Settled returns a Checker whose message checks, once they have the
// messages they need (waiting with [Checker.Within] for them), go on
// waiting until no new message in scope has arrived for quiet, and only
// then compare: Count(t, srv, n) then means exactly n, even for a
// background job that would send n+2, and Delivered sees a late extra
// message. Each message in scope restarts the quiet time; the wait ends
// at the latest after the Within time plus quiet. Without Settled, a
// check compares as soon as it has what it waits for (Within), or what
// has arrived at the call.
//
//	assert.Within(5*time.Second).Settled(200*time.Millisecond).Count(t, srv, 50)
func Settled(quiet time.Duration) Checker { return Checker{}.Settled(quiet) }

// Settled returns a copy of c with the settled wait of [Settled].
func (c Checker) Settled(quiet time.Duration) Checker {
	c.settle = quiet
	return c
}

// With returns a Checker that passes opts to go-cmp, in addition to its
// own, when it compares expectations with what arrived.
func With(opts ...cmp.Option) Checker { return Checker{}.With(opts...) }

// Within returns a copy of c that waits up to d.
func (c Checker) Within(d time.Duration) Checker {
	c.wait = d
	return c
}

// With returns a copy of c with opts added.
func (c Checker) With(opts ...cmp.Option) Checker {
	c.opts = append(append([]cmp.Option(nil), c.opts...), opts...)
	return c
}

// Delivered checks that the server received exactly the messages want, in
// this order, and reports each difference. It returns whether the check
// passed.
func Delivered(t testing.TB, srv *smtptest.Server, want ...Mail) bool {
	t.Helper()
	return Checker{}.Delivered(t, srv, want...)
}

// DeliveredInAnyOrder checks that the server received exactly the messages
// want, in any order.
func DeliveredInAnyOrder(t testing.TB, srv *smtptest.Server, want ...Mail) bool {
	t.Helper()
	return Checker{}.DeliveredInAnyOrder(t, srv, want...)
}

// Includes checks that at least one message the server received matches
// want; others may have arrived too.
func Includes(t testing.TB, srv *smtptest.Server, want Mail) bool {
	t.Helper()
	return Checker{}.Includes(t, srv, want)
}

// Count checks that the server received exactly n messages.
func Count(t testing.TB, srv *smtptest.Server, n int) bool {
	t.Helper()
	return Checker{}.Count(t, srv, n)
}

// NoMail checks that the server received no message at all.
func NoMail(t testing.TB, srv *smtptest.Server) bool {
	t.Helper()
	return Checker{}.NoMail(t, srv)
}

// Rejected checks that the server made exactly the refusals want, in this
// order ([smtptest.Server.Rejections]).
func Rejected(t testing.TB, srv *smtptest.Server, want ...Rejection) bool {
	t.Helper()
	return Checker{}.Rejected(t, srv, want...)
}
