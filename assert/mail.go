package assert

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/emersion/go-smtp"

	"github.com/smtptest/smtptest"
)

// NullSender is the [Mail.From] that expects the null reverse-path <>, the
// sender of bounces and auto-replies. (An empty From is not compared.)
const NullSender = "<>"

// Mail describes one expected message. Fields left zero are not compared.
//
// Addresses compare as SMTP does: the domain case-insensitively, the local
// part exactly. Header values and Subject are compared after RFC 2047
// decoding. Text and HTML are decoded from their transfer encoding and
// charset before they are matched.
type Mail struct {
	// From is the envelope sender (MAIL FROM), or NullSender.
	From string
	// To are the envelope recipients (RCPT TO), all of them, in order.
	To []string
	// Subject is the decoded Subject header field, exactly.
	Subject string
	// Header lists header fields that must be present with exactly these
	// values (decoded; the first field of a name counts). Names are
	// case-insensitive. Fields not listed are not compared. The address
	// fields (From, To, Cc, Bcc, Reply-To, Sender) compare as address
	// lists: {"From": "a@example.com"} matches `"App" <a@example.com>`;
	// a display name is compared only where the expectation gives one.
	Header map[string]string
	// Text matches the plain-text body ([smtptest.Message.TextBody]).
	Text Match
	// HTML matches the HTML body ([smtptest.Message.HTMLBody]).
	HTML Match
	// Attachments are all the attachments, in order. Within each, zero
	// fields are not compared. nil: not compared; an empty non-nil slice:
	// the message must have none.
	Attachments []smtptest.Attachment
}

// Match says how a body must look. Make one with [Exactly], [Containing]
// or [Matching]; the zero Match is not compared.
type Match struct {
	op  matchOp
	s   string
	re  *regexp.Regexp
	err error // got side only: the body could not be read
}

type matchOp uint8

const (
	opNone matchOp = iota
	opExactly
	opContaining
	opMatching
	opFailed
)

// Exactly matches a body that is s. CRLF line endings count as LF on both
// sides, and line breaks at the very end are ignored, so
// Exactly("Hello\n") matches a body "Hello\r\n" or "Hello".
func Exactly(s string) Match { return Match{op: opExactly, s: s} }

// Containing matches a body that contains s (CRLF read as LF on both
// sides).
func Containing(s string) Match { return Match{op: opContaining, s: s} }

// Matching matches a body in which the regular expression pattern finds a
// match (CRLF read as LF). It panics if pattern does not compile, as
// regexp.MustCompile does: patterns are written in tests.
func Matching(pattern string) Match {
	re, err := regexp.Compile(pattern)
	if err != nil {
		panic("assert: Matching: " + err.Error())
	}
	return Match{op: opMatching, s: pattern, re: re}
}

// String describes m as failure messages show it: the body itself for
// Exactly, `containing "..."` and `matching /.../` for the others.
func (m Match) String() string {
	switch m.op {
	case opExactly:
		return m.s
	case opContaining:
		return fmt.Sprintf("containing %q", m.s)
	case opMatching:
		return fmt.Sprintf("matching /%s/", m.s)
	case opFailed:
		return fmt.Sprintf("(%v)", m.err)
	}
	return "(not compared)"
}

func (m Match) isZero() bool { return m.op == opNone }

// matches reports whether body satisfies m.
func (m Match) matches(body string) bool {
	body = normalizeLines(body)
	switch m.op {
	case opExactly:
		return trimEnd(body) == trimEnd(normalizeLines(m.s))
	case opContaining:
		return strings.Contains(body, normalizeLines(m.s))
	case opMatching:
		return m.re.MatchString(body)
	}
	return false
}

func normalizeLines(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
func trimEnd(s string) string        { return strings.TrimRight(s, "\r\n") }

// Rejection describes one expected refusal, as [smtptest.Server.Rejections]
// records it. Fields left zero are not compared.
type Rejection struct {
	Stage        smtptest.Stage
	Arg          string            // the address (compared as SMTP does), domain or mechanism refused
	Code         int               // the reply code, e.g. 550
	EnhancedCode smtp.EnhancedCode // e.g. {5, 1, 1}
	Text         Match             // the reply text
}
