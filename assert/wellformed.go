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
// for one message at least. A problem that several messages share (the
// same rule on the same line text: a template's defect in a bulk send)
// is reported once, with the messages that have it; the rest message by
// message.
func (c Checker) WellFormed(t testing.TB, srv *smtptest.Server, opts ...lint.Option) bool {
	t.Helper()
	msgs := c.messages(srv, 1)
	type group struct {
		p    lint.Problem
		line []byte
		msgs []int // indexes into msgs
	}
	var groups []*group
	byKey := map[string]*group{}
	errors, warnings := 0, 0
	for i, m := range msgs {
		for _, p := range m.Lint(opts...) {
			if p.Severity == lint.Error {
				errors++
			} else {
				warnings++
			}
			line := lineText(m.Data, p.Line)
			key := p.Rule + "\x00" + p.Severity.String() + "\x00" + p.Part + "\x00" + string(line)
			if line == nil {
				key += "\x00" + p.Text
			}
			g, ok := byKey[key]
			if !ok {
				g = &group{p: p, line: line}
				byKey[key] = g
				groups = append(groups, g)
			}
			if len(g.msgs) == 0 || g.msgs[len(g.msgs)-1] != i {
				g.msgs = append(g.msgs, i)
			}
		}
	}
	var report strings.Builder
	write := func(g *group) {
		fmt.Fprintf(&report, "\n  %s", g.p)
		if g.line != nil {
			fmt.Fprintf(&report, "\n      | %q", g.line)
		}
	}
	// Shared problems first, once each.
	for _, g := range groups {
		if len(g.msgs) < 2 {
			continue
		}
		fmt.Fprintf(&report, "\nin %d messages:", len(g.msgs))
		write(g)
		var who []string
		for _, i := range g.msgs[:min(len(g.msgs), 10)] {
			who = append(who, fmt.Sprintf("%d (ID %d, to %s)", i+1, msgs[i].ID, strings.Join(msgs[i].To, ", ")))
		}
		if more := len(g.msgs) - len(who); more > 0 {
			who = append(who, fmt.Sprintf("and %d more", more))
		}
		fmt.Fprintf(&report, "\n    messages %s", strings.Join(who, ", "))
	}
	// Then each message's own.
	for i, m := range msgs {
		header := false
		for _, g := range groups {
			if len(g.msgs) != 1 || g.msgs[0] != i {
				continue
			}
			if !header {
				fmt.Fprintf(&report, "\nmessage %d (%s):", i+1, m)
				header = true
			}
			write(g)
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
