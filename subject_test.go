package smtptest

import (
	"strings"
	"testing"
)

// plainSubjectCases are headers plainSubject reads itself (ok) and
// headers it leaves to the parser; FuzzPlainSubject starts from them.
var plainSubjectCases = []struct {
	data string
	want string // "" with ok false: not read
	ok   bool
}{
	{"Subject: Hello\r\n\r\nbody", "Hello", true},
	{"From: a@example.com\r\nSubject:  Hello  world \t\r\n\r\n", "Hello  world", true},
	{"subject: lower\r\n\r\n", "lower", true},
	{"SUBJECT : spaced key\r\n\r\n", "spaced key", true},
	{"Subject: folded\r\n  over\r\n\tlines\r\n\r\n", "folded over lines", true},
	{"Subject: blank continuation\r\n   \r\n next\r\n\r\n", "blank continuation next", true},
	{"Subject: first\r\nSubject: second\r\n\r\n", "first", true},
	{"Subject:\r\n\r\n", "", true},
	{"From: a@example.com\r\n\r\n", "", true},
	{"\r\nSubject: in the body\r\n", "", true},
	{": empty key\r\nSubject: kept\r\n\r\n", "kept", true},
	{"Subject: caf\xc3\xa9 8-bit\r\n\r\n", "caf\xc3\xa9 8-bit", true},
	{"Subject: =?UTF-8?Q?caf=C3=A9?=\r\n\r\n", "", false},                        // encoded-word
	{"Subject: Hello\nFrom: a@example.com\n\n", "", false},                       // bare LF
	{"Subject: Hel\rlo\r\n\r\n", "", false},                                      // bare CR
	{" Subject: leading space\r\n\r\n", "", false},                               // initial line error
	{"Subject: Hello\r\nno colon\r\n\r\n", "", false},                            // malformed line
	{"Subject: Hello\r\nBad Key: x\r\n\r\n", "", false},                          // malformed key
	{"Subject: no end of header\r\n", "", false},                                 // EOF in the header
	{"Subject: long\r\nX: " + strings.Repeat("a", 4000) + "\r\n\r\n", "", false}, // past plainHeaderMax
}

// TestPlainSubject: what plainSubject reads, and that each answer is
// the parser's.
func TestPlainSubject(t *testing.T) {
	for _, c := range plainSubjectCases {
		got, ok := plainSubject([]byte(c.data))
		if ok != c.ok || got != c.want {
			t.Errorf("plainSubject(%q) = %q, %v; want %q, %v", c.data, got, ok, c.want, c.ok)
		}
		if ok {
			checkPlainSubject(t, []byte(c.data), got)
		}
	}
}

// checkPlainSubject fails t unless parsing data's header and decoding its
// Subject gives subject, without error.
func checkPlainSubject(t *testing.T, data []byte, subject string) {
	t.Helper()
	want, err := subjectOf(data)
	if err != nil || want != subject {
		t.Errorf("plainSubject(%q) = %q; the parser says %q, %v", data, subject, want, err)
	}
}

// FuzzPlainSubject holds plainSubject to the parser's answer for every
// header it reads itself.
func FuzzPlainSubject(f *testing.F) {
	for _, c := range plainSubjectCases {
		f.Add([]byte(c.data))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if s, ok := plainSubject(data); ok {
			checkPlainSubject(t, data, s)
		}
	})
}
