package smtptest

import (
	"strings"

	"github.com/emersion/go-smtp"

	"github.com/smtptest/smtptest/lint"
)

// Lint checks m with package lint, telling it what m's envelope says:
// raw UTF-8 in header fields is allowed if MAIL had SMTPUTF8, 8-bit
// bodies if it had BODY=8BITMIME (or BINARYMIME), and its MAIL FROM
// (lint.MailFrom: judged with lint.BulkSender). opts come after those.
// Without opts, a message is checked once; each call returns its own
// slice.
func (m *Message) Lint(opts ...lint.Option) []lint.Problem {
	env := lintEnvelope{
		smtputf8: m.MailOptions.UTF8,
		eightBit: m.MailOptions.Body == smtp.Body8BitMIME || m.MailOptions.Body == smtp.BodyBinaryMIME,
		mailFrom: m.From,
	}
	all := []lint.Option{lint.MailFrom(env.mailFrom)}
	if env.smtputf8 {
		all = append(all, lint.SMTPUTF8())
	}
	if env.eightBit {
		all = append(all, lint.EightBitMIME())
	}
	if len(opts) == 0 {
		return m.cachedLint(env, func() []lint.Problem { return lint.Check(m.Data, all...) })
	}
	return lint.Check(m.Data, append(all, opts...)...)
}

// RejectMalformed makes the server refuse, at end of data, a message that
// has an Error problem (see [Message.Lint]; opts go to it), the way Gmail
// does: "550 5.7.1 <the problem> (<its reference>)". Nothing is recorded;
// the refusal is in [Server.Rejections] at [StageEndOfData]. A sender's
// error path can be tested against it. Faults act first; the Deliver hooks
// only see what passed.
func RejectMalformed(opts ...lint.Option) Option {
	return optionFunc(func(c *config) error {
		c.rejectMalformed = append([]lint.Option{}, opts...)
		return nil
	})
}

// malformed returns the reply that refuses m, or nil if m has no Error
// problem.
func malformed(m *Message, opts []lint.Option) *smtp.SMTPError {
	for _, p := range m.Lint(opts...) {
		if p.Severity != lint.Error {
			continue
		}
		text := p.Text + " (" + p.Ref + ")"
		// A reply line is ASCII and at most maxReplyText long.
		text = strings.Map(func(r rune) rune {
			if r < ' ' || r > '~' {
				return '?'
			}
			return r
		}, text)
		if len(text) > maxReplyText {
			text = text[:maxReplyText-3] + "..."
		}
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: text}
	}
	return nil
}
