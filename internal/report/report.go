// Package report formats what failure messages of smtptest and its assert
// package list, so that both say it the same way.
package report

import (
	"fmt"
	"strings"
)

// Received lists messages one per line, numbered from 1, after a line
// saying how many there are: "2 message(s) received:\n  1. ...".
func Received[T fmt.Stringer](msgs []T) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d message(s) received:", len(msgs))
	for i, m := range msgs {
		fmt.Fprintf(&b, "\n  %d. %s", i+1, m)
	}
	return b.String()
}
