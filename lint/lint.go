// Package lint tells whether a message is well formed: the bytes a client
// sent after DATA (dot-unstuffed, as smtptest's Message.Data holds them)
// in, the problems out. It checks what RFC 5322, the MIME RFCs and the
// big receivers require, the bugs that pass every assertion a test thought
// to write and then reach Gmail as "550-5.7.1 ... not RFC 5322 compliant":
// a missing Date or Message-ID, a bare LF, a 1,200-octet line, an 8-bit
// Subject without RFC 2047 encoding, a multipart body whose closing
// boundary is missing.
//
// Every rule has a stable id ("header/date-missing", "line/bare-lf", ...),
// a Severity and the place it comes from (Rules lists them all). Error
// means an RFC MUST, or a rejection by a major receiver; Warning a SHOULD,
// or a known harm to delivery. What the SMTP envelope allows (SMTPUTF8,
// BODY=8BITMIME) is given as options; the opt-in [BulkSender] profile adds
// the Gmail and Yahoo 2024 requirements for bulk senders.
//
// The package imports nothing of smtptest; smtptest and its assert
// package use it (assert.WellFormed, smtptest.RejectMalformed).
package lint

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/smtptest/smtptest/dkimtest"
)

// Severity says how bad a [Problem] is.
type Severity int

const (
	// Info: a fact worth knowing, not a defect (a tracking pixel); never
	// made an Error, even by Strict.
	Info Severity = iota
	// Warning: a SHOULD of an RFC, or something known to hurt delivery.
	Warning
	// Error: a MUST of an RFC, or something major receivers reject.
	Error
)

func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return "Severity(" + strconv.Itoa(int(s)) + ")"
}

// Problem is one thing wrong with a message.
type Problem struct {
	Rule     string   // stable id, "area/what": see Rules
	Severity Severity // Error or Warning
	Ref      string   // where the rule comes from: "RFC 5322 3.6", ...
	Part     string   // MIME part path: "" for the top level, "1", "1.2", ...
	Line     int      // 1-based line of the data where it shows; 0 if none
	Text     string   // one sentence for a person, quoting the offending bytes (cut short)
}

// String formats p on one line: "line 3: error header/date-syntax (RFC
// 5322 3.3): ...".
func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Part != "" {
		fmt.Fprintf(&b, "part %s: ", p.Part)
	}
	fmt.Fprintf(&b, "%s %s (%s): %s", p.Severity, p.Rule, p.Ref, p.Text)
	return b.String()
}

// An Option changes what Check allows or requires.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	smtputf8     bool
	eightBitMIME bool
	bulk         bool
	strict       bool
	ignore       map[string]bool
	dkimKeys     *dkimtest.Keys // nil: signatures are not verified
	https        bool           // RequireHTTPS
	allowHosts   []string       // AllowHosts, lower case
	clients      []string       // Clients
	mailFrom     string         // MailFrom
}

// SMTPUTF8 says the message went over SMTPUTF8 (RFC 6531): raw UTF-8 in
// header fields is allowed (RFC 6532), as long as it is valid UTF-8.
func SMTPUTF8() Option { return optionFunc(func(c *config) { c.smtputf8 = true }) }

// EightBitMIME says the message was sent with BODY=8BITMIME (RFC 6152):
// 8-bit bytes in bodies are allowed.
func EightBitMIME() Option { return optionFunc(func(c *config) { c.eightBitMIME = true }) }

// BulkSender adds the requirements Gmail and Yahoo set for bulk senders
// in 2024: a Message-ID (an Error rather than a Warning), a
// List-Unsubscribe header with an https URI, RFC 8058 one-click
// unsubscription (List-Unsubscribe-Post: List-Unsubscribe=One-Click), and
// a DKIM signature by a domain aligned with From that signs From,
// List-Unsubscribe and List-Unsubscribe-Post (RFC 8058 4). Give the keys
// with [DKIMKeys] to have the signatures verified too.
func BulkSender() Option { return optionFunc(func(c *config) { c.bulk = true }) }

// MailFrom gives the message's MAIL FROM (reverse-path, "" for the null
// sender): with [BulkSender], a MAIL FROM domain not aligned with the
// From domain is reported (rule dmarc/spf-not-aligned, the SPF side of
// DMARC alignment, checked without DNS). smtptest's Message.Lint and
// assert.WellFormed give it from the envelope.
func MailFrom(reversePath string) Option {
	return optionFunc(func(c *config) { c.mailFrom = reversePath })
}

// RequireHTTPS reports http: links (rule content/link-http): a policy,
// for senders whose links all have https.
func RequireHTTPS() Option { return optionFunc(func(c *config) { c.https = true }) }

// AllowHosts lets links lead to these hosts, which rule
// content/link-local would report (a test's own "localhost:8080", an
// "app.test" it serves): a name as written ("app.test", "127.0.0.1"), or
// "*.test" for every name under one.
func AllowHosts(hosts ...string) Option {
	return optionFunc(func(c *config) {
		for _, h := range hosts {
			c.allowHosts = append(c.allowHosts, strings.ToLower(strings.TrimSuffix(h, ".")))
		}
	})
}

// Strict reports every problem as an Error: for tests that hold mail to
// the SHOULDs too (assert.WellFormed then fails on warnings).
func Strict() Option { return optionFunc(func(c *config) { c.strict = true }) }

// Ignore leaves out the problems of these rules (ids as in Rules).
func Ignore(rules ...string) Option {
	return optionFunc(func(c *config) {
		if c.ignore == nil {
			c.ignore = map[string]bool{}
		}
		for _, r := range rules {
			c.ignore[r] = true
		}
	})
}

// The most problems Check lists: of one rule, and in all. A message with
// a defect on every line is a few defects to fix, not millions of
// problems; the problems past a limit are counted in one last problem of
// rule "lint/truncated", whose Severity is the highest of those left out.
const (
	MaxPerRule  = 10
	MaxProblems = 100
)

// Check reports what is wrong with one message: the bytes a client sent
// after DATA, dot-unstuffed. The problems come in the order of the data
// (message-wide ones, such as a missing Date, first), at most
// [MaxPerRule] of one rule and [MaxProblems] in all, then the count of
// the rest. Check never panics, never changes data, and costs time and
// memory linear in len(data); what it keeps (the problems, the line
// numbers) is proportional to what it reports, not to the message.
func Check(data []byte, opts ...Option) []Problem {
	var c checker
	for _, o := range opts {
		if o != nil {
			o.apply(&c.cfg)
		}
	}
	c.data = data
	c.checkLines()
	c.checkEntity(0, len(data), "", 0)
	c.checkContent()
	c.numberLines()
	slices.SortStableFunc(c.problems, func(a, b Problem) int { return a.Line - b.Line })
	if c.left > 0 {
		c.problems = append(c.problems, c.truncated())
	}
	return c.problems
}

// checker holds the state of one Check.
type checker struct {
	cfg       config
	data      []byte
	problems  []Problem
	offs      []int   // the offset of each problem (-1: none), for numberLines
	top       *entity // the top-level entity, once parsed
	lastMedia string  // the media type of the entity checked last

	blankReported bool // a whitespace-only continuation line was reported

	// What the content rules read (content.go).
	leaves      []leaf // the parts that are not multipart, in order
	alternative int    // multipart/alternative entities open around the one checked
	relativeOK  bool   // the HTML read has a <base>: relative links resolve
	located     bool   // a part has Content-Location or Content-Base (RFC 2557): so do they

	unknownClientSaid bool           // lint/unknown-client was reported (once a message)
	counts            map[string]int // HTMLFeatures: how often each detector key was seen

	// What the limits left out.
	perRule map[string]int // problems of each rule, listed or not
	left    int            // how many were left out
	leftBy  map[string]int // of each rule
	leftSev Severity       // the highest severity left out
}

// add records a problem of rule at offset off of the data (-1: none),
// unless a limit leaves it out (it is counted then).
func (c *checker) add(rule, part string, off int, format string, args ...any) {
	if c.cfg.ignore[rule] {
		return
	}
	r := ruleByID[rule]
	sev := r.Severity
	if (rule == "header/message-id-missing" && c.cfg.bulk) || (c.cfg.strict && sev != Info) {
		sev = Error
	}
	if c.perRule == nil {
		c.perRule = map[string]int{}
	}
	c.perRule[rule]++
	if c.perRule[rule] > MaxPerRule || len(c.problems) >= MaxProblems {
		if c.leftBy == nil {
			c.leftBy = map[string]int{}
		}
		c.left++
		c.leftBy[rule]++
		c.leftSev = max(c.leftSev, sev)
		return
	}
	c.problems = append(c.problems, Problem{
		Rule: rule, Severity: sev, Ref: r.Ref, Part: part,
		Text: fmt.Sprintf(format, args...),
	})
	c.offs = append(c.offs, off)
}

// truncated is the problem that counts what the limits left out.
func (c *checker) truncated() Problem {
	rules := make([]string, 0, len(c.leftBy))
	for r := range c.leftBy {
		rules = append(rules, r)
	}
	slices.SortFunc(rules, func(a, b string) int { return c.leftBy[b] - c.leftBy[a] })
	var b strings.Builder
	fmt.Fprintf(&b, "%d more problems not listed (lint lists %d of a rule, %d in all):", c.left, MaxPerRule, MaxProblems)
	for i, r := range rules {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " %d %s", c.leftBy[r], r)
	}
	r := ruleByID["lint/truncated"]
	return Problem{Rule: r.ID, Severity: c.leftSev, Ref: r.Ref, Text: b.String()}
}

// numberLines sets the Line of each problem from its offset, in one pass
// over the data: the memory it takes is that of the problems, not of the
// lines.
func (c *checker) numberLines() {
	order := make([]int, 0, len(c.offs))
	for i, off := range c.offs {
		if off >= 0 {
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(a, b int) int { return c.offs[a] - c.offs[b] })
	line, pos := 1, 0
	for _, i := range order {
		off := min(c.offs[i], len(c.data))
		line += bytes.Count(c.data[pos:off], []byte("\n"))
		pos = off
		c.problems[i].Line = line
	}
}

// quote shows b for a person: cut to 60 bytes, control characters and
// invalid UTF-8 escaped.
func quote(b []byte) string {
	const max = 60
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "..."
	}
	return strconv.Quote(string(b))
}
