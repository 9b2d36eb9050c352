package smtptest

import "strconv"

// Stage names a point of the SMTP dialogue. Faults and rejections use it.
//
// The zero Stage marks a command that has no stage of its own (VRFY, HELP,
// STARTTLS, an unknown verb, or a line the server could not read as a
// command); it appears in a [Rejection] but is not valid in a [Fault].
type Stage int

// The stages of an SMTP dialogue, in the order a client meets them.
const (
	StageConnect   Stage = iota + 1 // the greeting, before any command
	StageHelo                       // HELO, EHLO or LHLO
	StageAuth                       // AUTH and its SASL exchange
	StageMail                       // MAIL FROM
	StageRcpt                       // RCPT TO
	StageData                       // the DATA (or first BDAT) command, before any body
	StageEndOfData                  // after the body: the final dot, or BDAT LAST
	StageRset                       // RSET
	StageNoop                       // NOOP
	StageQuit                       // QUIT
)

var stageNames = [...]string{
	0:              "other",
	StageConnect:   "connect",
	StageHelo:      "HELO",
	StageAuth:      "AUTH",
	StageMail:      "MAIL",
	StageRcpt:      "RCPT",
	StageData:      "DATA",
	StageEndOfData: "end of data",
	StageRset:      "RSET",
	StageNoop:      "NOOP",
	StageQuit:      "QUIT",
}

// String returns the stage's name as failure messages and transcripts show
// it: "connect", "HELO", "MAIL", "end of data", ... The zero Stage is "other".
func (s Stage) String() string {
	if s >= 0 && int(s) < len(stageNames) {
		return stageNames[s]
	}
	return "Stage(" + strconv.Itoa(int(s)) + ")"
}

// valid reports whether s is one of the named stages (not the zero Stage).
func (s Stage) valid() bool { return s >= StageConnect && s <= StageQuit }

// stageOf maps a verb to its stage; the zero Stage if it has none.
func stageOf(verb string) Stage {
	switch verb {
	case "HELO", "EHLO", "LHLO":
		return StageHelo
	case "AUTH":
		return StageAuth
	case "MAIL":
		return StageMail
	case "RCPT":
		return StageRcpt
	case "DATA", "BDAT":
		return StageData
	case "RSET":
		return StageRset
	case "NOOP":
		return StageNoop
	case "QUIT":
		return StageQuit
	}
	return 0
}
