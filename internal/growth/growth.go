// Package growth tells, in a test, an analysis whose cost grows linearly
// with its input from one that grows faster: the rule that no analysis in
// the project is worse than linear, made checkable.
//
// [Linear] runs the analysis on an input of 64 KiB and one of 1 MiB built
// in the same shape, and compares the time per byte. A linear analysis
// takes about the same time per byte at both sizes; a quadratic one takes
// 16 times as long per byte at the larger size. The test asserts no
// wall-clock time, only that ratio, with a wide margin: the best of
// several runs at each size is taken (a busy machine only makes runs
// slower), and a ratio over the limit is measured again before it fails.
package growth

import (
	"testing"
	"time"
)

// Sizes are the two input sizes Linear compares.
const (
	Small = 64 << 10
	Large = 1 << 20
)

// Limit is the largest ratio of time per byte (large over small) Linear
// accepts. Linear code measures 0.7 to 2 here (caches, the garbage
// collector); quadratic code measures about 16 (Large/Small), n log n
// about 1.25.
const Limit = 5.0

// Linear fails t when f's time per byte on an input of Large bytes is
// more than [Limit] times its time per byte on an input of Small bytes.
// build makes an input of about n bytes in the shape to test (it need not
// be exact: the ratio uses the lengths it returns); f runs the analysis
// on it. A run on the large input that takes far longer than a linear one
// would (Limit times the prediction, and at least ten seconds) fails the test without
// waiting for it to end, so a regression costs seconds, not hours.
func Linear(t testing.TB, build func(n int) []byte, f func([]byte)) {
	t.Helper()
	small, large := build(Small), build(Large)
	f(small) // warm up
	var ratio float64
	for round := 1; round <= 3; round++ {
		perSmall := best(5, func() time.Duration { return timed(func() { f(small) }) })
		// The large runs get a deadline: a quadratic f would take
		// minutes at 1 MiB.
		limit := max(10*time.Second, time.Duration(Limit*2*perByte(perSmall, len(small))*float64(len(large))))
		perLarge, finished := bestWithin(3, limit, func() { f(large) })
		if !finished {
			t.Fatalf("growth: still running after %v on %d bytes, where %d bytes took %.2f ns per byte: worse than linear",
				limit, len(large), len(small), perByte(perSmall, len(small)))
		}
		ratio = perByte(perLarge, len(large)) / perByte(perSmall, len(small))
		t.Logf("growth: %.2f ns/byte at %d bytes, %.2f ns/byte at %d bytes: ratio %.2f",
			perByte(perSmall, len(small)), len(small), perByte(perLarge, len(large)), len(large), ratio)
		if ratio <= Limit {
			return
		}
	}
	t.Errorf("growth: time per byte at %d bytes is %.1f times that at %d bytes (limit %.1f): worse than linear",
		len(large), ratio, len(small), Limit)
}

// perByte is d per byte of n, in nanoseconds.
func perByte(d time.Duration, n int) float64 { return float64(d) / float64(max(n, 1)) }

// timed returns how long f takes.
func timed(f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}

// best returns the shortest of n results of run.
func best(n int, run func() time.Duration) time.Duration {
	b := run()
	for range n - 1 {
		b = min(b, run())
	}
	return b
}

// bestWithin runs f up to n times and returns the shortest time; false if
// a run was still going after limit (it is left running: it cannot be
// stopped, and the test fails).
func bestWithin(n int, limit time.Duration, f func()) (time.Duration, bool) {
	var b time.Duration
	for i := range n {
		done := make(chan time.Duration, 1)
		go func() { done <- timed(f) }()
		select {
		case d := <-done:
			if i == 0 || d < b {
				b = d
			}
		case <-time.After(limit):
			return 0, false
		}
	}
	return b, true
}
