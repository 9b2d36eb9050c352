package smtptest

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/smtptest/smtptest/internal/wire"
)

// Write takes go-smtp's replies. They are sent when go-smtp next waits for
// the client (see flush).
func (c *conn) Write(p []byte) (int, error) {
	if !c.greeted {
		// go-smtp's greeting ("220 <domain> ESMTP Service Ready", one
		// write): the front sends its own instead, or has already.
		c.greeted = true
		if !c.earlyGreeting {
			c.greet()
		}
		return len(p), nil
	}
	if c.state >= lifeGone {
		// The connection is over (the client left, it timed out, a fault
		// dropped it): what go-smtp replies now reaches nobody, and is
		// neither sent nor recorded.
		return len(p), nil
	}
	c.out = append(c.out, p...)
	c.splitReplies()
	return len(p), nil
}

// reply writes a reply of the front's own; it is recorded like go-smtp's.
// A newline in text starts a new line of the reply.
func (c *conn) reply(code int, ec smtp.EnhancedCode, text string) {
	c.out = wire.AppendReply(c.out, code, ec, strings.Split(text, "\n"))
	c.splitReplies()
}

// splitReplies finds the replies completed in c.out since the last call
// and hands each to completeReply.
func (c *conn) splitReplies() {
	for {
		i := bytes.IndexByte(c.out[c.scanned:], '\n')
		if i < 0 {
			return
		}
		lineStart := c.scanned
		c.scanned += i + 1
		if c.scanned-lineStart >= 4 && c.out[lineStart+3] == '-' {
			continue // a continuation line: the reply goes on
		}
		c.completeReply()
		c.replyStart = c.scanned
	}
}

// completeReply handles the complete reply c.out[c.replyStart:c.scanned]: it may
// rewrite it, records it, and switches modes on 354 and 334.
func (c *conn) completeReply() {
	reply := c.out[c.replyStart:c.scanned]
	code := wire.Code(reply)
	verb := c.cmd.verb
	switch {
	case code == 502 && wire.OutOfSequence(verb) && bytes.Contains(reply, []byte(" 5.5.1 ")):
		// go-smtp says 502 for commands out of sequence; RFC 5321 4.2.4
		// and 4.3.2 say 503.
		for i := c.replyStart; i < c.scanned; {
			copy(c.out[i:], "503")
			i += bytes.IndexByte(c.out[i:], '\n') + 1
		}
		code = 503
	case code == 250 && (verb == "EHLO" || verb == "LHLO"):
		c.rewriteEHLO()
		reply = c.out[c.replyStart:c.scanned]
	}
	if c.srv.cfg.disabled["ENHANCEDSTATUSCODES"] && code >= 200 {
		c.stripEnhanced()
		reply = c.out[c.replyStart:c.scanned]
	}

	c.tr.addReply(reply)

	switch {
	case code == 421:
		// The server is closing the channel (RFC 5321 4.2.2, 3.8): after a
		// 421, whoever chose it, go-smtp reads no more and the session ends.
		c.state = max(c.state, lifeClosing)
	case code == 354 && verb == "DATA":
		c.mode, c.dot, c.bodyLen, c.headLen = modeData, wire.DotReader{}, 0, 0
		c.cmd.line = dataLine // reading the body may overwrite the line
		c.fastData.Store(true)
	case code == 334 && verb == "AUTH":
		c.mode = modeSASL
	case code == 235 && verb == "AUTH":
		c.authenticated = true
		c.mode = modeCommand
	case c.mode == modeSASL:
		c.mode = modeCommand
	}
	c.followTransaction(code, verb)
	if code >= 400 && c.state < lifeGone && !c.dropped.Load() {
		c.srv.addRejection(c.rejection(wire.ParseReply(c.out[c.replyStart:c.scanned])))
	}
}

// followTransaction follows the transaction through the replies that open
// and end it, as go-smtp keeps it: the 250 to MAIL opens it, each 250 to
// RCPT adds a recipient, and it ends with the reply at the end of the data
// (whatever its code), a 250 to RSET or a greeting, a refused BDAT, or a
// 421. The front learns it here rather than from the session's state.
func (c *conn) followTransaction(code int, verb string) {
	switch {
	case code == 250 && verb == "MAIL":
		c.inTx.Store(true)
		c.rcpts = c.rcpts[:0]
	case code == 250 && verb == "RCPT":
		c.rcpts = append(c.rcpts, wire.Arg(verb, c.cmd.line))
	case c.cmd.stage == StageEndOfData, code == 421, code >= 400 && verb == "BDAT",
		code == 250 && (verb == "RSET" || verb == "HELO" || verb == "EHLO" || verb == "LHLO"):
		c.inTx.Store(false)
		c.rcpts = nil
		c.bdatActive, c.bdatPassed = false, false
	}
}

// rewriteEHLO fixes the EHLO reply at the end of c.out: go-smtp advertises
// a bare SIZE (smtptest enforces the cap itself, see session.Data), so the
// cap is filled in, and the extensions DisableExtensions names are left
// out.
func (c *conn) rewriteEHLO() {
	if c.srv.cfg.disabled == nil && !(c.srv.cfg.startTLS && c.tls == nil) {
		// The common case: only the cap to fill in, in place.
		reply := c.out[c.replyStart:c.scanned]
		i := bytes.Index(reply, []byte("-SIZE\r\n"))
		if i < 0 {
			i = bytes.Index(reply, []byte(" SIZE\r\n"))
		}
		if i >= 0 {
			at := c.replyStart + i + len(" SIZE")
			var digits [20]byte
			size := strconv.AppendInt(append(digits[:0], ' '), c.srv.cfg.maxMessageBytes, 10)
			n := len(c.out)
			c.out = append(c.out, size...)          // grow by len(size),
			copy(c.out[at+len(size):], c.out[at:n]) // move the tail right,
			copy(c.out[at:], size)                  // and put the size in the gap
			c.scanned += len(size)
		}
		return
	}
	texts := wire.Texts(c.out[c.replyStart:c.scanned])
	// A new slice: appending to texts[:1] would overwrite the lines the
	// loop below still reads.
	kept := make([]string, 1, len(texts)+1)
	kept[0] = texts[0] // "Hello <domain>"
	if c.srv.cfg.startTLS && c.tls == nil && !c.srv.cfg.disabled["STARTTLS"] {
		kept = append(kept, "STARTTLS")
	}
	for _, t := range texts[1:] {
		keyword, _, _ := strings.Cut(t, " ")
		switch {
		case c.srv.cfg.disabled[strings.ToUpper(keyword)]:
		case t == "SIZE":
			kept = append(kept, "SIZE "+strconv.FormatInt(c.srv.cfg.maxMessageBytes, 10))
		default:
			kept = append(kept, t)
		}
	}
	c.replaceReply(250, kept)
}

// stripEnhanced removes the enhanced status codes from the reply at the
// end of c.out, for a server that does not advertise ENHANCEDSTATUSCODES.
func (c *conn) stripEnhanced() {
	reply := c.out[c.replyStart:c.scanned]
	texts := wire.Texts(reply)
	changed := false
	for i, t := range texts {
		if _, rest, ok := wire.CutEnhanced(t); ok {
			texts[i], changed = rest, true
		}
	}
	if changed {
		c.replaceReply(wire.Code(reply), texts)
	}
}

// replaceReply replaces the reply at the end of c.out by one with code and
// these lines of text.
func (c *conn) replaceReply(code int, texts []string) {
	c.out = wire.AppendReply(c.out[:c.replyStart], code, smtp.NoEnhancedCode, texts)
	c.scanned = len(c.out)
}

// rejection describes the reply rep to the current command.
func (c *conn) rejection(rep smtp.SMTPError) Rejection {
	r := Rejection{
		Stage:  c.cmd.stage,
		Reply:  rep,
		Remote: c.remote,
		ConnID: c.id,
		Time:   time.Now(),
	}
	if c.cmd.line != nil {
		// Cut as the transcript cuts lines: an over-long command must not
		// make every rejection it causes as long.
		r.Arg = cutText(wire.Arg(c.cmd.verb, c.cmd.line))
		r.Command = cutText(string(c.cmd.line)) // AUTH lines are masked already
	}
	return r
}

// cutText returns s, or its first maxLineShown bytes followed by "..."
// and the length.
func cutText(s string) string {
	if len(s) <= maxLineShown {
		return s
	}
	return s[:maxLineShown] + "... (" + strconv.Itoa(len(s)) + " bytes)"
}

// flush sends the collected replies. go-smtp writes only whole replies,
// and flush runs only when go-smtp waits for input or closes.
func (c *conn) flush() error {
	if len(c.out) == 0 {
		return nil
	}
	c.setWriteDeadline()
	_, err := c.stream.Write(c.out)
	c.out, c.replyStart, c.scanned = c.out[:0], 0, 0
	return err
}

// drainWriteBound is how long a write may wait for the client while the
// server shuts down and the session is outside a transaction: a client
// that does not read must not hold up Shutdown.
const drainWriteBound = time.Second

// setWriteDeadline bounds the next write by the write timeout, and by
// drainWriteBound while draining an idle session; without either, none.
func (c *conn) setWriteDeadline() {
	var deadline time.Time
	if d := c.srv.cfg.writeTimeout; d > 0 {
		deadline = time.Now().Add(d)
	}
	if c.srv.draining.Load() && !c.inTx.Load() {
		if bound := time.Now().Add(drainWriteBound); deadline.IsZero() || bound.Before(deadline) {
			deadline = bound
		}
	}
	if !deadline.IsZero() || c.srv.draining.Load() { // draining in a transaction: clear Shutdown's bound
		c.stream.SetWriteDeadline(deadline)
	}
}
