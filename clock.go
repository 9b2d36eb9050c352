package smtptest

import (
	"slices"
	"sync"
	"time"
)

// A Clock tells the time to the receiver behaviours that count it
// ([Greylist], [RateLimit], [Bounces]): a test gives a [FakeClock] and
// moves it instead of sleeping. A nil Clock is the real time. What is
// to happen later ([Bounces]' Delay) is timed with the Clock's
// AfterFunc method if it has one (FakeClock does), with the real time
// otherwise.
type Clock interface {
	Now() time.Time
}

// FakeClock is a [Clock] that stands still until the test moves it with
// [FakeClock.Advance]. It is safe for use by several goroutines.
type FakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

// fakeTimer is a function waiting for a FakeClock to reach its time.
type fakeTimer struct {
	at time.Time
	f  func()
}

// NewFakeClock returns a FakeClock that says now.
func NewFakeClock(now time.Time) *FakeClock { return &FakeClock{now: now} }

// Now returns the clock's time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock d forward. The functions of [FakeClock.AfterFunc]
// that fall due run on the calling goroutine, in the order of their
// times, before Advance returns: a bounce that was due has been sent.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*fakeTimer
	c.timers = slices.DeleteFunc(c.timers, func(t *fakeTimer) bool {
		if t.at.After(c.now) {
			return false
		}
		due = append(due, t)
		return true
	})
	c.mu.Unlock()
	slices.SortStableFunc(due, func(a, b *fakeTimer) int { return a.at.Compare(b.at) })
	for _, t := range due {
		t.f()
	}
}

// AfterFunc arranges for f to run when the clock has been moved d or
// more past now, on the goroutine that moves it (see [FakeClock.Advance]).
// stop cancels it; it reports whether f had yet to run.
func (c *FakeClock) AfterFunc(d time.Duration, f func()) (stop func() bool) {
	c.mu.Lock()
	t := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	c.mu.Unlock()
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		n := len(c.timers)
		c.timers = slices.DeleteFunc(c.timers, func(u *fakeTimer) bool { return u == t })
		return len(c.timers) < n
	}
}

// afterFunc runs f after d by clock c: by its AfterFunc method if it has
// one, by the real time otherwise.
func afterFunc(c Clock, d time.Duration, f func()) (stop func() bool) {
	if a, ok := c.(interface {
		AfterFunc(time.Duration, func()) func() bool
	}); ok {
		return a.AfterFunc(d, f)
	}
	return time.AfterFunc(d, f).Stop
}

// realClock is the time.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
