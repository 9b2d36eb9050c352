//go:build !race

package smtptest_test

// raceEnabled reports whether the race detector is on: it changes what
// allocates (sync.Pool drops items, checkptr makes more escape).
const raceEnabled = false
