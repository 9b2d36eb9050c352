package assert

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/lint"
)

// WellFormed checks that every message the server received so far is well
// formed (see package lint and [smtptest.Message.Lint]; opts go to it,
// lint.Strict() to hold mail to the SHOULDs too). It fails the test
// (Errorf) when a message has an Error problem, listing for each message
// its problems with their line and the line's text; warnings are listed
// too, and only logged when nothing fails.
func WellFormed(t testing.TB, srv *smtptest.Server, opts ...lint.Option) bool {
	t.Helper()
	return Checker{}.WellFormed(t, srv, opts...)
}

// WellFormed is [WellFormed], with c's wait: with [Within], it first waits
// for one message at least.
func (c Checker) WellFormed(t testing.TB, srv *smtptest.Server, opts ...lint.Option) bool {
	t.Helper()
	msgs := c.messages(srv, 1)
	var report strings.Builder
	errors, warnings := 0, 0
	for i, m := range msgs {
		ps := m.Lint(opts...)
		if len(ps) == 0 {
			continue
		}
		fmt.Fprintf(&report, "\nmessage %d (%s):", i+1, m)
		for _, p := range ps {
			if p.Severity == lint.Error {
				errors++
			} else {
				warnings++
			}
			fmt.Fprintf(&report, "\n  %s", p)
			if line := lineText(m.Data, p.Line); line != nil {
				fmt.Fprintf(&report, "\n      | %q", line)
			}
		}
	}
	switch {
	case errors > 0:
		t.Errorf("assert.WellFormed: %d error(s), %d warning(s) in %d message(s):%s", errors, warnings, len(msgs), report.String())
		return false
	case warnings > 0:
		t.Logf("assert.WellFormed: %d warning(s) in %d message(s):%s", warnings, len(msgs), report.String())
	}
	return true
}

// lineText returns line n (from 1) of data, without its ending, cut to
// 100 bytes; nil for n = 0.
func lineText(data []byte, n int) []byte {
	if n <= 0 {
		return nil
	}
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(data, '\n')
		if j < 0 {
			return nil
		}
		data = data[j+1:]
	}
	if j := bytes.IndexByte(data, '\n'); j >= 0 {
		data = data[:j]
	}
	data = bytes.TrimSuffix(data, []byte("\r"))
	if len(data) > 100 {
		data = data[:100]
	}
	return data
}
