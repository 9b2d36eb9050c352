package assert

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/smtptest/smtptest"
)

// IncludesRejections checks that the server made the refusals want, in
// this order, allowing others before, between and after them: the 501
// that a client's "*" gets after a failed AUTH, say, which a test does not
// care about. [Rejected] checks the exact list.
func IncludesRejections(t testing.TB, srv *smtptest.Server, want ...Rejection) bool {
	t.Helper()
	return Checker{}.IncludesRejections(t, srv, want...)
}

// IncludesRejections is [IncludesRejections], with c's options. With
// [Within], it waits until the refusals have been made.
func (c Checker) IncludesRejections(t testing.TB, srv *smtptest.Server, want ...Rejection) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), c.wait)
	defer cancel()
	var got []smtptest.Rejection
	matched := 0
	for n := len(want); ; n = len(got) + 1 {
		var err error
		got, err = c.rejections(ctx, srv, n)
		if matched = c.subsequence(want, got); matched == len(want) {
			return true
		}
		if err != nil || len(got) < n {
			break // the wait ended: no more refusals to look at
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "assert.IncludesRejections: expectation %d of %d not met, in order:\n  %s\n", matched+1, len(want), describeRejection(want[matched]))
	fmt.Fprintf(&b, "%d rejection(s) made:", len(got))
	for i, r := range got {
		fmt.Fprintf(&b, "\n  %d. %s (conn %d)", i+1, r, r.ConnID)
	}
	fmt.Fprintf(&b, "\nSMTP transcript:\n%s", c.transcript(srv, nil, got))
	t.Errorf("%s", b.String())
	return false
}

// subsequence returns how many of want, in order, match refusals of got
// in order (each refusal used once, others skipped).
func (c Checker) subsequence(want []Rejection, got []smtptest.Rejection) int {
	i := 0
	for _, r := range got {
		if i < len(want) && c.diff(want[i], viewRejection(want[i], r)) == "" {
			i++
		}
	}
	return i
}

// describeRejection shows what w expects, its zero fields left out.
func describeRejection(w Rejection) string {
	var parts []string
	if w.Stage != 0 {
		parts = append(parts, "stage "+w.Stage.String())
	}
	if w.Arg != "" {
		parts = append(parts, fmt.Sprintf("arg %q", w.Arg))
	}
	if w.Code != 0 {
		parts = append(parts, fmt.Sprintf("code %d", w.Code))
	}
	if w.EnhancedCode[0] != 0 {
		parts = append(parts, fmt.Sprintf("enhanced code %d.%d.%d", w.EnhancedCode[0], w.EnhancedCode[1], w.EnhancedCode[2]))
	}
	if !w.Text.isZero() {
		parts = append(parts, "text "+w.Text.String())
	}
	if len(parts) == 0 {
		return "any refusal"
	}
	return strings.Join(parts, ", ")
}
