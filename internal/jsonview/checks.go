// Package jsonview is what cmd/smtptest's output and the web package both
// show of messages and refusals: the JSON shapes of a message's summary,
// a refusal, its lint problems and DKIM results, and the judgement (lint
// and DKIM, made once per message) behind the last two.
package jsonview

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/dkimtest"
	"github.com/smtptest/smtptest/lint"
)

// Checks is what each message is judged by: package lint with the
// options the flags give (-bulk-sender, the -dkim-key keys), and its DKIM
// signatures verified against those keys (never DNS).
type Checks struct {
	keys *dkimtest.Keys // -dkim-key; empty without
	lint []lint.Option

	mu     sync.Mutex         // guards the fields below
	judged map[int]*judgement // the judgements made, by message ID
	order  [maxJudged]int     // their IDs, a ring: next is the oldest once full
	next   int                // where the next ID goes in order
	count  int                // how many IDs order holds
}

// judgement is what the checks found in one message, made once for all
// who ask: the output, the list entry, the API. Read-only once made.
type judgement struct {
	once     sync.Once
	problems []Problem
	dkim     []DKIM
}

// maxJudged is how many judgements are remembered: the newest messages
// are the ones asked for; an older one asked again is judged again.
const maxJudged = 2048

// Judge returns the lint problems and DKIM results of m, judged once for
// every caller while it is among the maxJudged newest. The slices are
// shared: callers must not change them.
func (ch *Checks) Judge(m *smtptest.Message) ([]Problem, []DKIM) {
	ch.mu.Lock()
	j, ok := ch.judged[m.ID]
	if !ok {
		j = new(judgement)
		if ch.judged == nil {
			ch.judged = map[int]*judgement{}
		}
		ch.judged[m.ID] = j
		if ch.count == maxJudged {
			delete(ch.judged, ch.order[ch.next]) // the oldest
		} else {
			ch.count++
		}
		ch.order[ch.next] = m.ID
		ch.next = (ch.next + 1) % maxJudged
	}
	ch.mu.Unlock()
	j.once.Do(func() { j.problems, j.dkim = ch.problems(m), ch.dkim(m) })
	return j.problems, j.dkim
}

// LintOptions are the lint options the checks use (for RejectMalformed).
func (ch *Checks) LintOptions() []lint.Option { return ch.lint }

// NewChecks returns the checks of -bulk-sender (bulk) and -dkim-key (keys),
// with extra lint options (-allow-hosts) after those.
func NewChecks(bulk bool, keys []*dkimtest.Key, extra ...lint.Option) *Checks {
	ch := &Checks{keys: new(dkimtest.Keys)}
	ch.keys.Add(keys...)
	if bulk {
		ch.lint = append(ch.lint, lint.BulkSender())
	}
	if len(keys) > 0 {
		ch.lint = append(ch.lint, lint.DKIMKeys(ch.keys))
	}
	ch.lint = append(ch.lint, extra...)
	return ch
}

// Verifying reports whether there are keys to verify signatures with.
func (ch *Checks) Verifying() bool { return len(ch.keys.All()) > 0 }

// Problem is a lint.Problem.
type Problem struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Ref      string `json:"ref"`
	Part     string `json:"part,omitempty"`
	Line     int    `json:"line,omitempty"`
	Text     string `json:"text"`
}

// problems lints m with what its envelope allows and the flags ask.
func (ch *Checks) problems(m *smtptest.Message) []Problem {
	out := []Problem{}
	for _, p := range m.Lint(ch.lint...) {
		out = append(out, Problem{p.Rule, p.Severity.String(), p.Ref, p.Part, p.Line, p.Text})
	}
	return out
}

// DKIM is a dkimtest.Result.
type DKIM struct {
	Domain           string   `json:"domain"`
	Selector         string   `json:"selector"`
	Algorithm        string   `json:"algorithm"`
	Canonicalization string   `json:"canonicalization"`
	HeaderKeys       []string `json:"header_keys"`
	Missing          []string `json:"missing,omitempty"`       // h= names no field of the header has
	BodyHash         string   `json:"body_hash"`               // bh=
	BodyLength       *int64   `json:"body_length,omitempty"`   // l=, if the signature has one
	UnsignedBody     int64    `json:"unsigned_body,omitempty"` // octets of the body after l=
	Verified         bool     `json:"verified"`
	Error            string   `json:"error,omitempty"`
	Reason           string   `json:"reason,omitempty"` // no-key, body-hash, signature, expired, from-not-signed, body-length, invalid, too-large
	FromDomain       string   `json:"from_domain"`
	Aligned          string   `json:"aligned"` // strict, relaxed, not aligned
}

var dkimReasons = []struct {
	err  error
	name string
}{
	{dkimtest.ErrNoKey, "no-key"}, {dkimtest.ErrBodyHash, "body-hash"}, {dkimtest.ErrSignature, "signature"},
	{dkimtest.ErrExpired, "expired"}, {dkimtest.ErrFromNotSigned, "from-not-signed"},
	{dkimtest.ErrBodyLength, "body-length"}, {dkimtest.ErrInvalid, "invalid"}, {dkimtest.ErrTooLarge, "too-large"},
}

// dkim verifies m's DKIM signatures; [] if it has none.
func (ch *Checks) dkim(m *smtptest.Message) []DKIM {
	out := []DKIM{}
	if !MayBeSigned(m.Data) {
		return out // Verify would find no signature (or fail): nothing to show either way
	}
	results, err := dkimtest.Verify(m.Data, ch.keys)
	if err != nil && !errors.Is(err, dkimtest.ErrTooManySignatures) {
		return out
	}
	for _, r := range results {
		j := DKIM{
			Domain: r.Domain, Selector: r.Selector, Algorithm: r.Algorithm, Canonicalization: r.Canonicalization,
			HeaderKeys: r.HeaderKeys, Missing: r.Missing, BodyHash: r.BodyHash, UnsignedBody: r.UnsignedBody, Verified: r.Verified(),
			FromDomain: r.FromDomain, Aligned: r.Aligned.String(),
		}
		if j.HeaderKeys == nil {
			j.HeaderKeys = []string{}
		}
		if r.BodyLength >= 0 {
			j.BodyLength = &r.BodyLength
		}
		if r.Err != nil {
			j.Error = r.Err.Error()
			for _, k := range dkimReasons {
				if errors.Is(r.Err, k.err) {
					j.Reason = k.name
					break
				}
			}
		}
		out = append(out, j)
	}
	return out
}

// DKIMLine sums up the signatures for a message's console line: ", DKIM
// d=example.com verified (strict)", or ", DKIM d=example.com s=s1 failed:
// body hash mismatch"; "" for an unsigned message, unless there are keys
// to verify with (", no DKIM signature").
func DKIMLine(sigs []DKIM, verifying bool) string {
	if len(sigs) == 0 {
		if verifying {
			return ", no DKIM signature"
		}
		return ""
	}
	var parts []string
	for _, s := range sigs {
		switch {
		case s.Verified && s.UnsignedBody > 0:
			parts = append(parts, fmt.Sprintf("d=%s verified (%s) but l= leaves %d octets unsigned", s.Domain, s.Aligned, s.UnsignedBody))
		case s.Verified:
			parts = append(parts, fmt.Sprintf("d=%s verified (%s)", s.Domain, s.Aligned))
		case s.Reason == "no-key" && !verifying:
			parts = append(parts, fmt.Sprintf("d=%s s=%s not verified (no -dkim-key)", s.Domain, s.Selector))
		default:
			parts = append(parts, fmt.Sprintf("d=%s s=%s failed: %s", s.Domain, s.Selector, s.Error))
		}
	}
	return ", DKIM " + strings.Join(parts, "; ")
}

// MayBeSigned reports whether data's header (up to its first empty line)
// holds the name DKIM-Signature, in any case: a message without it has
// nothing for Verify to verify, so most messages skip its header split.
func MayBeSigned(data []byte) bool {
	const name = "dkim-signature"
	end := len(data)
	if i := bytes.Index(data, []byte("\n\r\n")); i >= 0 {
		end = i
	}
	if i := bytes.Index(data[:end], []byte("\n\n")); i >= 0 {
		end = i
	}
	h := data[:end]
	for i := 0; i+len(name) <= len(h); i++ {
		if h[i]|0x20 == 'd' && bytes.EqualFold(h[i:i+len(name)], []byte(name)) {
			return true
		}
	}
	return false
}
