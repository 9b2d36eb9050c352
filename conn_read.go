package smtptest

import (
	"bytes"
	"errors"
	"io"
	"net"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/smtptest/smtptest/internal/wire"
)

// Read gives go-smtp the client's bytes: one command line per call in the
// command modes, body bytes up to the end of the body in the others.
func (c *conn) Read(p []byte) (int, error) {
	for len(c.pending) == 0 {
		if c.state >= lifeClosing {
			return 0, io.EOF
		}
		if c.mode == modeData || c.mode == modeBDAT {
			return c.readBody(p)
		}
		if err := c.nextCommand(); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

// nextCommand reads the client's next line and either sets it pending for
// go-smtp or answers it itself.
func (c *conn) nextCommand() error {
	if c.mode != modeSASL {
		c.cmd = command{} // a reply before the next line answers no command (idle timeout)
	}
	if c.srv.draining.Load() && c.idle() {
		return c.drain()
	}
	line, n, tooLong, err := c.readLine()
	if err != nil {
		return err
	}
	full := c.in[c.r : c.r+n]
	c.r += n

	if c.mode == modeSASL {
		// The replies still answer the AUTH command (c.cmd, kept); this
		// line is a secret.
		c.tr.add(dirClient, wire.MaskSASL(line))
		if tooLong {
			// go-smtp waits for this line: cancel the exchange (RFC 4954 4),
			// and go-smtp answers "501 5.0.0 Negotiation cancelled".
			full = saslCancel
		}
		c.pending = full
		return nil
	}
	c.takeCommand(line)
	if c.outOfSync() {
		return c.unsynchronized()
	}
	if handled, err := c.answerItself(line, tooLong); handled || err != nil {
		return err
	}
	if c.cmd.stage != 0 && (c.cmd.verb != "BDAT" || !c.bdatActive) && len(c.srv.faults.load()) > 0 {
		if handled, err := c.commandFaults(); handled || err != nil {
			return err
		}
	}
	if c.cmd.verb == "QUIT" {
		return c.quit()
	}
	if handled := c.followBDAT(line); handled {
		return nil
	}
	c.pending = full
	return nil
}

// takeCommand makes line the command the next replies answer, and writes
// it to the transcript, masked when it may hold a secret: an AUTH line
// however it is written (tabs, no separator, a verb go-smtp refuses), and
// after one every line that is not a known command, as a client may
// pipeline SASL responses even to an AUTH that is refused.
func (c *conn) takeCommand(line []byte) {
	verb := wire.ParseVerb(line)
	c.cmd = command{stage: stageOf(verb), verb: verb, line: line}
	switch {
	case wire.IsAuthLine(line):
		c.cmd.line = wire.MaskAuth(line) // a copy: it outlives the SASL lines read after it
		c.afterAuth = true
	case c.afterAuth && wire.Known(verb):
		c.afterAuth = false
	case c.afterAuth:
		c.cmd.line = wire.MaskSASL(line) // maybe a SASL response: never shown
	}
	c.tr.add(dirClient, c.cmd.line)
}

// answerItself answers the commands the front answers before any fault or
// go-smtp sees them: every command of a refused client, an over-long
// line, STARTTLS, anything but a greeting after TLS began, and DATA inside
// a BDAT transfer. It reports whether it answered.
func (c *conn) answerItself(line []byte, tooLong bool) (handled bool, err error) {
	verb := c.cmd.verb
	switch {
	case c.state == lifeRefused:
		c.answerRefused(verb)
		return true, nil
	case tooLong || (len(line) > maxCommandLine && verb != "AUTH"):
		c.reply(500, smtp.EnhancedCode{5, 5, 2}, "Line too long")
		return true, nil
	case verb == "STARTTLS" && (c.srv.cfg.startTLS || c.tls != nil):
		return true, c.startTLS(line)
	case c.needHelo:
		switch verb {
		case "EHLO", "HELO", "LHLO":
			c.needHelo = false
		case "QUIT", "NOOP", "RSET":
		default:
			// RFC 3207 4.2: TLS begins a new session; go-smtp still
			// remembers the old one's EHLO.
			c.reply(503, smtp.EnhancedCode{5, 5, 1}, "Send EHLO first: the TLS session is a new session")
			return true, nil
		}
	case verb == "DATA" && c.bdatActive:
		// RFC 3030 2: DATA may not follow BDAT in a transaction. go-smtp
		// refuses it too, once it has seen a chunk; the front may have
		// answered an empty first chunk alone (see followBDAT).
		c.reply(503, smtp.EnhancedCode{5, 5, 1}, "DATA not allowed during message transfer")
		return true, nil
	}
	return false, nil
}

// quit answers QUIT here, as go-smtp would, without the trip through it:
// the client gets its 221 and the connection ends sooner.
func (c *conn) quit() error {
	c.reply(221, smtp.EnhancedCode{2, 0, 0}, "Bye")
	c.state = lifeClosing
	// Recorded before the 221 goes: a client holding it finds the
	// transcript complete, as after any other reply.
	c.tr.note("connection closed by the server")
	c.closeNoted = true
	c.flush() // now, not when go-smtp has unwound
	return io.EOF
}

// followBDAT follows the BDAT transfer through the commands: a greeting or
// RSET ends it, and a BDAT whose arguments parse has a chunk that the
// front reads in modeBDAT (go-smtp reads it even when it refuses the
// command). It answers an empty chunk before go-smtp has seen any itself,
// and reports whether it did.
func (c *conn) followBDAT(line []byte) (handled bool) {
	switch c.cmd.verb {
	case "RSET", "HELO", "EHLO", "LHLO":
		c.bdatActive, c.bdatPassed = false, false // the transaction ends
		return false
	case "BDAT":
	default:
		return false
	}
	size, last, ok := wire.ParseBDAT(line)
	if !ok {
		return false
	}
	if size == 0 && !last && !c.bdatPassed && c.inTx.Load() && len(c.rcpts) > 0 {
		// An empty chunk before go-smtp has seen any carries nothing.
		// Passed on, it would start go-smtp's BDAT goroutine without
		// waiting for it (io.Copy of zero bytes), and a client that leaves
		// then makes go-smtp's Close nil the session before the goroutine
		// calls c.Session().Data: a nil dereference. go-smtp starts the
		// goroutine with the first real chunk instead. The transaction has
		// begun all the same.
		c.bdatActive = true
		c.reply(250, smtp.EnhancedCode{2, 0, 0}, "Continue")
		return true
	}
	c.bdatActive, c.bdatPassed = !last, !last
	c.cmd.line = append([]byte(nil), line...) // reading the chunk may overwrite the line
	if last {
		c.cmd.stage = StageEndOfData
	}
	if size > 0 {
		c.mode, c.bdatLeft, c.bodyLen, c.headLen = modeBDAT, size, 0, 0
	}
	return false
}

// commandFaults applies the faults of the command c.cmd (see
// conn.applyFaults) and does what they say: a reply instead of go-smtp's,
// the connection's end, or a drop part way through the body. It reports
// whether the command was handled.
func (c *conn) commandFaults() (handled bool, err error) {
	stage, verb := c.cmd.stage, c.cmd.verb
	var arg string
	args := c.rcpts // DATA: the transaction's recipients
	if stage != StageData {
		arg = wire.Arg(verb, c.cmd.line)
		args = []string{arg}
	}
	o := c.applyFaults(stage, arg, args, string(c.cmd.line))
	switch {
	case o.over:
		return true, io.EOF
	case o.dropAfter > 0:
		c.dropLeft = o.dropAfter // the command goes on; the body reader drops
		return false, nil
	case o.reply == nil:
		return false, nil
	}
	c.reply(o.reply.Code, o.reply.EnhancedCode, o.reply.Message)
	if verb == "BDAT" {
		// The chunk follows the command anyway: drop it.
		if size, _, ok := wire.ParseBDAT(c.cmd.line); ok {
			return true, c.discard(size)
		}
	}
	return true, nil
}

// discard reads and drops n bytes of the client's input.
func (c *conn) discard(n int64) error {
	for n > 0 {
		if c.r == c.w {
			if err := c.fill(); err != nil {
				return err
			}
		}
		k := min(n, int64(c.w-c.r))
		c.r += int(k)
		n -= k
	}
	return nil
}

// readLine returns the client's next line without its ending (LF or
// CRLF), and n, the bytes it takes in c.in[c.r:] with the ending. It
// flushes the replies before it waits for the client. For a line longer
// than maxAuthLine it returns only the line's first bytes, with tooLong
// set; if the line did not fit the buffer, it has been dropped already and
// n is 0.
func (c *conn) readLine() (line []byte, n int, tooLong bool, err error) {
	from := 0 // bytes of c.in[c.r:c.w] known to hold no LF
	for {
		if i := bytes.IndexByte(c.in[c.r+from:c.w], '\n'); i >= 0 {
			n = from + i + 1
			line = c.in[c.r : c.r+n-1]
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			if len(line) > maxAuthLine {
				return line[:maxLineShown], n, true, nil
			}
			return line, n, false, nil
		}
		from = c.w - c.r
		if from > maxAuthLine {
			return c.skipLine()
		}
		if err := c.fill(); err != nil {
			return nil, 0, false, err
		}
	}
}

// skipLine drops the over-long line at c.in[c.r:] up to its end and
// returns a copy of its first bytes.
func (c *conn) skipLine() (line []byte, n int, tooLong bool, err error) {
	head := append([]byte(nil), c.in[c.r:c.r+maxLineShown]...)
	for {
		if i := bytes.IndexByte(c.in[c.r:c.w], '\n'); i >= 0 {
			c.r += i + 1
			return head, 0, true, nil
		}
		c.r = c.w
		if err := c.fill(); err != nil {
			return nil, 0, false, err
		}
	}
}

// fill reads more of the client's bytes into c.in, flushing replies first.
// It keeps c.in[c.r:c.w] but may move it.
func (c *conn) fill() error {
	if c.r == c.w {
		c.r, c.w = 0, 0
	}
	if c.w == len(c.in) {
		if c.r > 0 {
			c.w = copy(c.in, c.in[c.r:c.w])
			c.r = 0
		} else {
			c.in = append(c.in, make([]byte, max(len(c.in), 512))...)
			c.in = c.in[:cap(c.in)]
		}
	}
	n, err := c.readNet(c.in[c.w:])
	c.w += n
	if n > 0 {
		return nil
	}
	return err
}

// readNet flushes the replies, then reads from the client into b.
func (c *conn) readNet(b []byte) (int, error) {
	if err := c.flush(); err != nil {
		return 0, c.lost(err)
	}
	if c.srv.cfg.readTimeout > 0 {
		c.stream.SetReadDeadline(c.readDeadline())
	}
	if c.srv.draining.Load() && c.idle() {
		// Shutdown began, and its deadline (which wakes reads) may have
		// come before the one just set: it marks draining first, so this
		// sees it.
		return 0, c.drain()
	}
	for {
		n, err := c.stream.Read(b)
		if n > 0 {
			return n, nil
		}
		if err == nil {
			err = io.ErrNoProgress
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() && c.srv.draining.Load() && c.state < lifeGone {
			// Shutdown woke this read.
			if c.idle() {
				return 0, c.drain()
			}
			c.stream.SetReadDeadline(c.readDeadline()) // a transaction goes on
			continue
		}
		return 0, c.readErr(err)
	}
}

// readDeadline is the deadline of the next read: the read timeout from
// now, or none.
func (c *conn) readDeadline() time.Time {
	if d := c.srv.cfg.readTimeout; d > 0 {
		return time.Now().Add(d)
	}
	return time.Time{}
}

// idle reports whether the session is outside any transaction: Shutdown
// may end it. Only a transaction, from MAIL to the end of its body, is in
// flight; a command line half sent, pipelined commands not read yet or a
// SASL exchange are not.
func (c *conn) idle() bool {
	return (c.mode == modeCommand || c.mode == modeSASL) && !c.bdatActive && !c.inTx.Load()
}

// drain ends an idle session for Shutdown.
func (c *conn) drain() error {
	c.tr.note("server shutting down")
	c.reply(421, smtp.EnhancedCode{4, 3, 2}, "Service shutting down")
	c.state = lifeClosing
	return io.EOF
}

// readErr handles an error reading from the client and turns it into
// what go-smtp should see: io.EOF, as the session is over either way. A
// timeout ends the session once, with a reply (see timedOut); anything
// else means the client is gone (see lost).
func (c *conn) readErr(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() && c.state < lifeGone && !c.dropped.Load() {
		c.timedOut()
		return io.EOF
	}
	return c.lost(err)
}

// timedOut ends the session after a read timed out, wherever the client
// was (a command, a body, a SASL exchange): the body read so far is noted
// and dropped, the client gets one 421 (RFC 5321 4.2.2 and 4.5.3.2; no Go
// error text, no socket addresses), and the connection closes. go-smtp
// reads nothing more: it would otherwise wait out the timeout again, once
// to drain the body and once for the next command.
func (c *conn) timedOut() {
	d := c.srv.cfg.readTimeout
	c.bodyEnded(false)
	c.tr.note("read timed out after " + d.String())
	c.reply(421, smtp.EnhancedCode{4, 4, 2}, c.srv.smtp.Domain+" Timeout: nothing received for "+d.String()+", closing connection")
	c.tr.note("connection closed by the server")
	c.closeNoted = true
	// Bounded: a client that does not read must not hold up the end.
	c.stream.SetWriteDeadline(time.Now().Add(time.Second))
	c.flush()
	c.state = lifeGone
}

// lost notes that the connection can no longer be used (the client left,
// a write failed, Server.Close closed it, a fault dropped it) and returns
// io.EOF, which ends go-smtp's session quietly.
func (c *conn) lost(err error) error {
	if c.dropped.Load() {
		c.state = max(c.state, lifeGone) // noted by drop
		return io.EOF
	}
	if c.state < lifeGone {
		c.state = lifeGone
		switch {
		case c.srv.isClosing():
			c.tr.note("connection closed by Server.Close")
		case errors.Is(err, io.EOF):
			c.tr.note("connection closed by the client")
		default:
			c.tr.note("connection lost: " + err.Error())
		}
	}
	return io.EOF
}
