package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/internal/wire"
)

// faultSyntax documents the compact text form of a fault, for -h and for
// errors.
const faultSyntax = `STAGE [MATCH] [times=N] [rate=P] [delay=D] [after=BYTES] [drop | reply CODE [X.Y.Z] [TEXT...]]`

// stages maps the names a fault spec may use to stages.
var stages = map[string]smtptest.Stage{
	"connect": smtptest.StageConnect, "greeting": smtptest.StageConnect,
	"helo": smtptest.StageHelo, "ehlo": smtptest.StageHelo,
	"auth":        smtptest.StageAuth,
	"mail":        smtptest.StageMail,
	"rcpt":        smtptest.StageRcpt,
	"data":        smtptest.StageData,
	"end-of-data": smtptest.StageEndOfData, "eod": smtptest.StageEndOfData, "dot": smtptest.StageEndOfData,
	"rset": smtptest.StageRset,
	"noop": smtptest.StageNoop,
	"quit": smtptest.StageQuit,
}

// parseFault reads a fault in the compact form of faultSyntax:
//
//	rcpt *@bad.example reply 550 5.1.1 No such user
//	end-of-data times=1 reply 451
//	connect rate=0.1 drop
//	data delay=2s
//	data after=1024 drop
//
// Words are separated by spaces; the reply's text is the rest of the line.
func parseFault(spec string) (smtptest.Fault, error) {
	fail := func(format string, args ...any) (smtptest.Fault, error) {
		return smtptest.Fault{}, fmt.Errorf("fault %q: %s (syntax: %s)", spec, fmt.Sprintf(format, args...), faultSyntax)
	}
	words := strings.Fields(spec)
	if len(words) == 0 {
		return fail("empty")
	}
	var f smtptest.Fault
	stage, ok := stages[strings.ToLower(words[0])]
	if !ok {
		return fail("unknown stage %q", words[0])
	}
	f.Stage = stage
	for i := 1; i < len(words); i++ {
		w := words[i]
		key, value, isOption := strings.Cut(w, "=")
		switch {
		case isOption:
			var err error
			switch strings.ToLower(key) {
			case "times":
				f.Times, err = strconv.Atoi(value)
			case "rate":
				// In (0, 1]: the library reads 0 as "always", which a
				// rate=0 or one that underflows (1e-400) must not become.
				f.Rate, err = strconv.ParseFloat(value, 64)
				if err == nil && !(f.Rate > 0 && f.Rate <= 1) {
					return fail("rate=%s: want a probability greater than 0 and at most 1 (leave rate out to fire every time)", value)
				}
			case "delay":
				f.Delay, err = time.ParseDuration(value)
			case "after":
				f.AfterBytes, err = strconv.ParseInt(value, 10, 64)
				f.Drop = true
			default:
				return fail("unknown option %q", key)
			}
			if err != nil {
				return fail("%s: %v", key, err)
			}
		case strings.EqualFold(w, "drop"):
			f.Drop = true
		case strings.EqualFold(w, "reply"):
			if i+1 >= len(words) {
				return fail("reply needs a code")
			}
			code, err := strconv.Atoi(words[i+1])
			if err != nil || len(words[i+1]) != 3 {
				return fail("reply code %q is not three digits", words[i+1])
			}
			f.Reply = &smtp.SMTPError{Code: code}
			rest := words[i+2:]
			if len(rest) > 0 {
				if ec, ok := wire.ParseEnhanced(rest[0]); ok {
					f.Reply.EnhancedCode, rest = ec, rest[1:]
				}
			}
			f.Reply.Message = strings.Join(rest, " ")
			i = len(words)
		case f.Match == "":
			f.Match = w
		default:
			return fail("unexpected %q", w)
		}
	}
	if err := f.Validate(); err != nil {
		return fail("%v", strings.TrimPrefix(err.Error(), "smtptest: "))
	}
	return f, nil
}
