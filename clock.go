package smtptest

import (
	"sync"
	"time"
)

// A Clock tells the time to the receiver behaviours that count it
// ([Greylist]): a test gives a [FakeClock] and moves it instead of
// sleeping. A nil Clock is the real time.
type Clock interface {
	Now() time.Time
}

// FakeClock is a [Clock] that stands still until the test moves it with
// [FakeClock.Advance]. It is safe for use by several goroutines.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock returns a FakeClock that says now.
func NewFakeClock(now time.Time) *FakeClock { return &FakeClock{now: now} }

// Now returns the clock's time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock d forward.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// realClock is the time.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
