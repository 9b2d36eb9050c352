package smtptest

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/emersion/go-smtp"
)

// StrictSync makes the server refuse a client that breaks SMTP's
// synchronisation, as Postfix 3.9 does with smtpd_forbid_unauth_pipelining
// and Exim with smtp_enforce_sync: a command sent before the reply to the
// one before it, where the client may not pipeline — after EHLO, HELO,
// LHLO, STARTTLS, AUTH, DATA (before its 354), NOOP, VRFY, EXPN and QUIT
// (RFC 2920 3.1), or anywhere when PIPELINING is not advertised
// ([DisableExtensions]("PIPELINING")) — and, with GreetPause, anything
// sent before the greeting (Postfix's postscreen pregreet test). It gets
// "554 5.5.0 Error: SMTP protocol synchronization" and the connection
// closes. MAIL, RCPT and RSET pipelined where PIPELINING is advertised
// are fine, and so is a BDAT chunk.
//
// StrictSync is an [Option]; its refusals are [Rejection]s at the stage
// of the command that broke the rule ([StageConnect] before the
// greeting).
type StrictSync struct {
	// GreetPause is how long the server waits before its greeting for
	// a client that talks first; 0 checks nothing before the greeting.
	// The wait ends early when the client talks. (postscreen waits 6 s.)
	GreetPause time.Duration
}

func (s StrictSync) apply(c *config) error {
	if s.GreetPause < 0 {
		return errors.New("smtptest: StrictSync: a negative GreetPause")
	}
	c.strictSync = &s
	return nil
}

// replyUnsynchronized is Postfix's refusal of a client out of sync.
var replyUnsynchronized = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 5, 0}, Message: "Error: SMTP protocol synchronization"}

// endsGroup reports whether a command must be the last of a pipelined
// group (RFC 2920 3.1; STARTTLS and AUTH by RFC 3207 4.2 and RFC 4954 4).
func endsGroup(verb string) bool {
	switch verb {
	case "EHLO", "HELO", "LHLO", "STARTTLS", "AUTH", "DATA", "NOOP", "VRFY", "EXPN", "QUIT", "TURN":
		return true
	}
	return false
}

// outOfSync reports whether the command just read broke StrictSync's
// rule: bytes follow it that the client sent before its reply.
func (c *conn) outOfSync() bool {
	s := c.srv.cfg.strictSync
	if s == nil || c.r >= c.w || c.cmd.verb == "BDAT" {
		return false
	}
	return endsGroup(c.cmd.verb) || c.srv.cfg.disabled["PIPELINING"]
}

// unsynchronized refuses a client out of sync and ends the connection.
func (c *conn) unsynchronized() error {
	c.reply(replyUnsynchronized.Code, replyUnsynchronized.EnhancedCode, replyUnsynchronized.Message)
	c.state = lifeClosing
	c.flush()
	return io.EOF
}

// pregreeted waits GreetPause for a client that talks before the
// greeting, and reports whether it did. The transcript notes how much it
// sent, not what (it may be an AUTH line with a secret); it is never
// answered.
func (c *conn) pregreeted() bool {
	s := c.srv.cfg.strictSync
	if s == nil || s.GreetPause <= 0 {
		return false
	}
	c.stream.SetReadDeadline(time.Now().Add(s.GreetPause))
	defer c.stream.SetReadDeadline(time.Time{})
	var b [512]byte
	n, _ := c.stream.Read(b[:])
	if n == 0 {
		return false
	}
	c.tr.note(fmt.Sprintf("the client sent %d bytes before the greeting", n))
	return true
}
