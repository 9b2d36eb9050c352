package smtptest

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/smtptest/smtptest/internal/wire"
)

// FaultSyntax is the compact text form of a fault that [ParseFault] reads
// (and cmd/smtptest's -fault, its POST /api/faults and its web UI).
const FaultSyntax = `STAGE [MATCH] [times=N] [rate=P] [delay=D] [after=BYTES] [drop | reply CODE [X.Y.Z] [TEXT...]]`

// faultStages maps the names a fault's text may use to stages.
var faultStages = map[string]Stage{
	"connect": StageConnect, "greeting": StageConnect,
	"helo": StageHelo, "ehlo": StageHelo,
	"auth":        StageAuth,
	"mail":        StageMail,
	"rcpt":        StageRcpt,
	"data":        StageData,
	"end-of-data": StageEndOfData, "eod": StageEndOfData, "dot": StageEndOfData,
	"rset": StageRset,
	"noop": StageNoop,
	"quit": StageQuit,
}

// ParseFault reads a fault written in the compact form of [FaultSyntax],
// so that a table row can carry a fault as a string and a test need not
// import go-smtp for the reply:
//
//	rcpt *@bad.example reply 550 5.1.1 No such user
//	end-of-data times=1 reply 451 4.3.0 Try again later
//	connect rate=0.1 drop
//	data delay=2s
//	data after=1024 drop
//
// STAGE is connect (or greeting), helo (ehlo), auth, mail, rcpt, data,
// end-of-data (eod, dot), rset, noop or quit; MATCH is Fault.Match;
// times=, rate= (greater than 0, at most 1), delay= (a Go duration) and
// after= (bytes of the body, then drop) set the fields of the same names;
// the reply's text is the rest of the line. Words are separated by
// spaces. The fault is validated ([Fault.Validate]); the error quotes the
// text and the syntax.
func ParseFault(spec string) (Fault, error) {
	fail := func(format string, args ...any) (Fault, error) {
		return Fault{}, fmt.Errorf("smtptest: fault %q: %s (syntax: %s)", spec, fmt.Sprintf(format, args...), FaultSyntax)
	}
	words := strings.Fields(spec)
	if len(words) == 0 {
		return fail("empty")
	}
	var f Fault
	stage, ok := faultStages[strings.ToLower(words[0])]
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

// Reply makes the reply a hook returns, or a [Fault] sends, without an
// import of go-smtp: code (4xx or 5xx) and text, which may begin with an
// enhanced code ("4.7.1 Try again later"; without one, the server adds
// the class's, 4.0.0 or 5.0.0).
//
//	smtptest.Hooks{ValidateRecipient: func(to string) error {
//		return smtptest.Reply(452, "4.2.2 Mailbox full")
//	}}
func Reply(code int, text string) *smtp.SMTPError {
	r := &smtp.SMTPError{Code: code, Message: text}
	if first, rest, _ := strings.Cut(text, " "); first != "" {
		if ec, ok := wire.ParseEnhanced(first); ok {
			r.EnhancedCode, r.Message = ec, rest
		}
	}
	return r
}

// MustParseFault is [ParseFault] for faults written in a test's source:
// it panics if spec does not parse.
func MustParseFault(spec string) Fault {
	f, err := ParseFault(spec)
	if err != nil {
		panic(err)
	}
	return f
}
