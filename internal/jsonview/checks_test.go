package jsonview

import (
	"testing"

	"github.com/smtptest/smtptest/dkimtest"
)

// TestMayBeSigned: the DKIM fast path skips only messages whose header
// has no DKIM-Signature, and agrees with dkimtest.Verify on each row.
func TestMayBeSigned(t *testing.T) {
	for _, tc := range []struct {
		data string
		want bool
	}{
		{"Subject: x\r\n\r\nbody\r\n", false},
		{"Subject: x\r\n\r\nDKIM-Signature: in the body\r\n", false},
		{"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=x; b=y\r\nFrom: a@example.com\r\n\r\nbody\r\n", true},
		{"From: a@example.com\r\ndkim-SIGNATURE: v=1\r\n\r\n", true},
		{"From: a@example.com\ndkim-signature: v=1\n\nbody\n", true},
		{"no header at all, dkim-signature", true},
		{"", false},
	} {
		if got := MayBeSigned([]byte(tc.data)); got != tc.want {
			t.Errorf("MayBeSigned(%q) = %v", tc.data, got)
		}
		if !tc.want {
			// What the fast path skips, Verify finds nothing in.
			if res, _ := dkimtest.Verify([]byte(tc.data), new(dkimtest.Keys)); len(res) > 0 {
				t.Errorf("%q: skipped, but Verify found %v", tc.data, res)
			}
		}
	}
}
