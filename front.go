package smtptest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/smtptest/smtptest/internal/wire"
)

// The front.
//
// go-smtp alone cannot keep smtptest's promises: it writes the greeting and
// the replies to NOOP, RSET, QUIT and EHLO without asking its backend, it
// writes each reply line with its own write, its Debug writer mixes both
// directions of every connection, and it learns about TLS only from the
// concrete type *tls.Conn. So each connection is owned by a small
// protocol-aware front, a net.Conn that go-smtp reads commands from and
// writes replies to:
//
//   - Read hands go-smtp one command line at a time, so the front sees every
//     command before go-smtp does and knows which command each reply answers
//     (go-smtp writes a command's reply before it reads the next line). It
//     tracks the modes in which lines are not commands: DATA (until the
//     end-of-data marker, found with the same state machine as go-smtp's
//     reader), BDAT chunks (by their announced size) and SASL responses (after
//     a 334 reply).
//   - Write collects replies. Each reply is recorded in the transcript, and
//     a 4xx or 5xx one in the rejections, whoever chose it: a hook, a fault,
//     or go-smtp itself. Replies are sent in one write when go-smtp next
//     needs input and none is buffered, so a multi-line reply is one write
//     and pipelined replies are batched (RFC 2920).
//   - The front writes the greeting itself, after ValidateHost, and serves a
//     refused client alone.
//
// The front runs on go-smtp's connection goroutine: go-smtp calls Read,
// Write and Close from it, and never from another goroutine (the BDAT
// goroutine only runs Session.Data). Only raw.Close is called from
// elsewhere (Server.Close). An earlier design put an in-memory pipe and a
// goroutine between the socket and go-smtp; calling the front from
// go-smtp's own goroutine keeps the same guarantees with no extra copy and
// no goroutine switch per command.

// maxCommandLine is the longest command line (without CRLF) the server
// reads; longer lines are answered "500 5.5.2". RFC 5321 4.5.3.1.4 sets 512
// octets; like go-smtp we allow 2000 for clients that stretch it.
const maxCommandLine = 2000

// maxAuthLine is the longest AUTH command or SASL response line: RFC 4954 4
// lifts the command line limit to 12288 octets for them.
const maxAuthLine = 12288

// mode says how the front reads the client's next bytes: their framing,
// not where the connection is in its life (see life).
type mode uint8

const (
	modeCommand mode = iota // command lines
	modeSASL                // a line that answers a 334 challenge
	modeData                // a DATA body, until <CRLF>.<CRLF>
	modeBDAT                // a BDAT chunk of known size
)

// life is where a connection is in its life. It only moves forward.
type life uint8

const (
	lifeOpen    life = iota // serving commands
	lifeRefused             // the greeting refused the client: the front answers every command alone
	lifeClosing             // the last replies go out, then the session ends (QUIT, a 421, Shutdown)
	lifeGone                // nothing more reaches the client: it left, a fault dropped it, it timed out
	lifeClosed              // Close has run
)

// command is what the front knows of the command the next reply answers.
type command struct {
	stage Stage
	verb  string // upper case; "" for no command or an unreadable line
	line  []byte // the line as received, without its ending; valid until the next Read (AUTH: a masked copy)
}

// conn is the front of one client connection. See the comment above.
type conn struct {
	srv    *Server
	id     int
	raw    net.Conn // the TCP connection; raw.Close may be called from any goroutine
	nc     net.Conn // what the front reads and writes: raw, or TLS over it
	remote netip.AddrPort
	tr     *transcript

	done       chan struct{} // closed by stop: ends fault delays
	stopOnce   sync.Once
	dropped    atomic.Bool // a fault dropped the connection (from any goroutine)
	fastData   atomic.Bool // a DATA body follows, for Session.Data to read through bodyReader
	inTx       atomic.Bool // a transaction is open, from the 250 to MAIL to the reply that ends it (Shutdown reads it)
	faultState connFaults
	sess       *session // set at the first HELO/EHLO

	// Session facts, set on the connection goroutine and read by the
	// session on it (Mail copies them into the transaction).
	tls      *TLSInfo
	authUser string

	// Everything below belongs to the connection goroutine.

	in      []byte // bytes read from the client; in[r:w] not yet used
	r, w    int
	pending []byte // what go-smtp has not yet read of the current command line
	mode    mode
	cmd     command

	dot        wire.DotReader // DATA: where the body ends
	bdatLeft   int64          // BDAT: bytes of the chunk still to come
	bdatActive bool           // a BDAT transaction has begun: the next BDAT is not the DATA stage, DATA is refused
	bdatPassed bool           // go-smtp has seen a chunk of it (its BDAT goroutine runs)
	dropLeft   int64          // > 0: a fault drops the connection after this many more body bytes
	needHelo   bool           // after STARTTLS: a new session, which must begin with EHLO
	afterAuth  bool           // since an AUTH line, no known command: a line may be a SASL response
	rcpts      []string       // the open transaction's recipients, from the 250s to RCPT
	bodyLen    int64          // bytes of the body (DATA) or chunk (BDAT) so far
	head       [40]byte       // their first bytes, for the transcript
	headLen    int

	greeted       bool // go-smtp's own greeting has been replaced
	earlyGreeting bool // the front greeted from Accept
	out           []byte
	replyStart    int // start in out of the reply being written
	scanned       int // bytes of out already split into lines
	state         life
	closeNoted    bool // the transcript already says the server closed
}

// listener makes go-smtp's Serve loop accept fronts instead of sockets.
type listener struct {
	net.Listener
	srv *Server
}

func (l *listener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		if !errors.Is(err, net.ErrClosed) {
			// go-smtp retries a temporary error (EMFILE, ...) after a
			// pause; it is reported, as nothing else would show it.
			l.srv.emit(Event{Kind: EventError, Time: time.Now(), Err: fmt.Errorf("smtptest: accept: %w", err)})
		}
		return nil, err
	}
	c := l.srv.newConn(nc)
	if c == nil {
		nc.Close()
		return nil, net.ErrClosed
	}
	l.srv.emit(Event{Kind: EventConnect, Time: c.tr.start, ConnID: c.id, Remote: c.remote})
	if l.srv.greetEarly() {
		// Nothing has to run before the greeting: send it now, from the
		// accept loop, rather than after go-smtp has started the
		// connection's goroutine (whose greeting is then dropped). The
		// client waits one goroutine start less.
		c.greet()
		c.earlyGreeting = true
		if err := c.flush(); err != nil {
			c.lost(err)
		}
	}
	return c, nil
}

// LocalAddr, RemoteAddr and the deadlines complete net.Conn for go-smtp.
func (c *conn) LocalAddr() net.Addr                { return c.raw.LocalAddr() }
func (c *conn) RemoteAddr() net.Addr               { return c.raw.RemoteAddr() }
func (c *conn) SetDeadline(t time.Time) error      { return c.nc.SetDeadline(t) }
func (c *conn) SetReadDeadline(t time.Time) error  { return c.nc.SetReadDeadline(t) }
func (c *conn) SetWriteDeadline(t time.Time) error { return c.nc.SetWriteDeadline(t) }

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

	verb := wire.ParseVerb(line)
	c.cmd = command{stage: stageOf(verb), verb: verb, line: line}
	switch {
	case wire.IsAuthLine(line):
		// Masked however it is written (tabs, no separator, a verb go-smtp
		// refuses), and a copy: it must outlive the SASL lines read after
		// it. The lines after it may be SASL responses, even if this AUTH
		// is refused: a client may pipeline them.
		c.cmd.line = wire.MaskAuth(line)
		c.afterAuth = true
	case c.afterAuth && wire.Known(verb):
		c.afterAuth = false
	case c.afterAuth:
		c.cmd.line = wire.MaskSASL(line) // maybe a SASL response: never shown
	}
	c.tr.add(dirClient, c.cmd.line)

	switch {
	case c.state == lifeRefused:
		c.answerRefused(verb)
		return nil
	case tooLong || (len(line) > maxCommandLine && verb != "AUTH"):
		c.reply(500, smtp.EnhancedCode{5, 5, 2}, "Line too long")
		return nil
	case verb == "STARTTLS" && (c.srv.cfg.startTLS || c.tls != nil):
		return c.startTLS(line)
	case c.needHelo:
		switch verb {
		case "EHLO", "HELO", "LHLO":
			c.needHelo = false
		case "QUIT", "NOOP", "RSET":
		default:
			// RFC 3207 4.2: TLS begins a new session; go-smtp still
			// remembers the old one's EHLO.
			c.reply(503, smtp.EnhancedCode{5, 5, 1}, "Send EHLO first: the TLS session is a new session")
			return nil
		}
	}

	if c.cmd.stage != 0 && (verb != "BDAT" || !c.bdatActive) && len(c.srv.loadFaults()) > 0 {
		if handled, err := c.commandFaults(); handled || err != nil {
			return err
		}
	}

	if verb == "QUIT" {
		// Answered here, as go-smtp would, without the trip through it:
		// the client gets its 221 and the connection ends sooner.
		c.reply(221, smtp.EnhancedCode{2, 0, 0}, "Bye")
		c.state = lifeClosing
		// Recorded before the 221 goes: a client holding it finds the
		// transcript complete, as after any other reply.
		c.tr.note("connection closed by the server")
		c.closeNoted = true
		c.flush() // now, not when go-smtp has unwound
		return io.EOF
	}
	switch verb {
	case "RSET", "HELO", "EHLO", "LHLO":
		c.bdatActive, c.bdatPassed = false, false // the transaction ends
	case "DATA":
		if c.bdatActive {
			// RFC 3030 2: DATA may not follow BDAT in a transaction.
			// go-smtp refuses it too, once it has seen a chunk; the front
			// may have answered an empty first chunk alone (below).
			c.reply(503, smtp.EnhancedCode{5, 5, 1}, "DATA not allowed during message transfer")
			return nil
		}
	}
	if verb != "BDAT" {
		// Not a chunk.
	} else if size, last, ok := wire.ParseBDAT(line); ok {
		if size == 0 && !last && !c.bdatPassed && c.inTx.Load() && len(c.rcpts) > 0 {
			// An empty chunk before go-smtp has seen any carries nothing.
			// Passed on, it would start go-smtp's BDAT goroutine without
			// waiting for it (io.Copy of zero bytes), and a client that
			// leaves then makes go-smtp's Close nil the session before the
			// goroutine calls c.Session().Data: a nil dereference. go-smtp
			// starts the goroutine with the first real chunk instead. The
			// transaction has begun all the same.
			c.bdatActive = true
			c.reply(250, smtp.EnhancedCode{2, 0, 0}, "Continue")
			return nil
		}
		// go-smtp reads the chunk whenever the arguments parse, even when
		// it refuses the command.
		c.bdatActive, c.bdatPassed = !last, !last
		c.cmd.line = append([]byte(nil), line...) // reading the chunk may overwrite the line
		if last {
			c.cmd.stage = StageEndOfData
		}
		if size > 0 {
			c.mode, c.bdatLeft, c.bodyLen, c.headLen = modeBDAT, size, 0, 0
		}
	}
	c.pending = full
	return nil
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

// startTLS answers STARTTLS: 220, then the handshake, after which the
// client must greet again. Bytes the client sent after STARTTLS, before the
// handshake, are dropped: they came in plain text (CVE-2011-0411).
func (c *conn) startTLS(line []byte) error {
	switch {
	case c.tls != nil:
		c.reply(503, smtp.EnhancedCode{5, 5, 1}, "TLS already active")
		return nil
	case len(bytes.TrimSpace(line)) != len("STARTTLS"):
		c.reply(501, smtp.EnhancedCode{5, 5, 4}, "STARTTLS takes no parameters")
		return nil
	case c.authUser != "":
		c.reply(503, smtp.EnhancedCode{5, 5, 1}, "STARTTLS after AUTH is not allowed")
		return nil
	}
	c.reply(220, smtp.EnhancedCode{2, 0, 0}, "Ready to start TLS")
	if c.r < c.w {
		c.tr.note(fmt.Sprintf("dropped %d bytes sent after STARTTLS in plain text", c.w-c.r))
		c.r = c.w
	}
	if err := c.flush(); err != nil {
		return c.lost(err)
	}
	if err := c.handshake(); err != nil {
		c.state = lifeGone
		return io.EOF
	}
	c.needHelo = true
	return nil
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

// stop ends the connection's fault delays; Server.Close and Close call it.
func (c *conn) stop() {
	c.stopOnce.Do(func() { close(c.done) })
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
		c.nc.SetReadDeadline(c.readDeadline())
	}
	if c.srv.draining.Load() && c.idle() {
		// Shutdown began, and its deadline (which wakes reads) may have
		// come before the one just set: it marks draining first, so this
		// sees it.
		return 0, c.drain()
	}
	speed := c.srv.cfg.linkSpeed
	if speed > 0 {
		b = b[:min(len(b), linkPiece(speed))]
	}
	for {
		n, err := c.nc.Read(b)
		if n > 0 {
			if speed > 0 && !c.sleep(linkTime(n, speed)) {
				return 0, c.lost(net.ErrClosed)
			}
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
			c.nc.SetReadDeadline(c.readDeadline()) // a transaction goes on
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
	c.nc.SetWriteDeadline(time.Now().Add(time.Second))
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

// readBody gives go-smtp the body bytes of a DATA command or a BDAT chunk,
// never more: what follows them is the next command.
func (c *conn) readBody(p []byte) (int, error) {
	if c.mode == modeBDAT && int64(len(p)) > c.bdatLeft {
		p = p[:c.bdatLeft]
	}
	var (
		n      int
		err    error
		direct = c.r == c.w && len(p) >= 4096
	)
	if direct {
		// Nothing buffered: read straight into go-smtp's buffer.
		n, err = c.readNet(p)
	} else {
		if c.r == c.w {
			err = c.fill()
		}
		n = copy(p, c.in[c.r:c.w])
		c.r += n
	}
	if err != nil {
		// The body is cut short. Never io.EOF: go-smtp copies a BDAT chunk
		// with io.Copy, which would take it for the chunk's end and pass a
		// truncated message to Session.Data.
		c.bodyEnded(false)
		return 0, io.ErrUnexpectedEOF
	}

	end := false
	if c.mode == modeData {
		var k int
		_, k, end = c.dot.Unstuff(nil, p[:n])
		if k < n {
			// Bytes after the end of the body: keep them for the next command.
			if direct {
				c.keep(p[k:n])
			} else {
				c.r -= n - k
			}
			n = k
		}
	} else {
		c.bdatLeft -= int64(n)
		end = c.bdatLeft == 0
	}
	c.noteHead(p[:n])
	if !c.account(n, end) {
		return 0, io.EOF
	}
	return n, nil
}

// noteHead keeps the first bytes of a body (raw, before unstuffing) for
// the transcript.
func (c *conn) noteHead(raw []byte) {
	if c.headLen < len(c.head) {
		c.headLen += copy(c.head[c.headLen:], raw)
	}
}

// account counts n raw bytes of a body as they arrive; end says they hold
// its end. It drops the connection if a fault asked for that after so many
// bytes, and reports false then.
func (c *conn) account(n int, end bool) bool {
	if c.dropLeft > 0 {
		if c.dropLeft -= int64(n); c.dropLeft <= 0 || end {
			c.dropLeft = 0
			c.drop(StageData, "", "")
			c.state = lifeGone
			return false
		}
	}
	c.bodyLen += int64(n)
	if end && c.mode == modeData {
		c.bodyLen -= int64(len(".\r\n")) // the end marker is not data
	}
	if end {
		c.bodyEnded(true)
	}
	return true
}

// bodyReader reads a DATA body for Session.Data straight from the front:
// bulk reads, and dot-unstuffing with go-smtp's own rules (dotState), where
// go-smtp's reader takes one byte at a time. It runs on the connection's
// goroutine (go-smtp calls Data there for DATA). At the end it leaves
// go-smtp's reader the end marker alone, so that go-smtp ends the body and
// replies as it always does.
type bodyReader struct {
	c    *conn
	done bool
}

// endMarker is what go-smtp's DATA reader gets once bodyReader has read
// the body: a line with a lone dot, at the start of a line.
var endMarker = []byte(".\r\n")

func (b *bodyReader) Read(p []byte) (int, error) {
	c := b.c
	for !b.done && len(p) > 0 {
		var w int
		var end bool
		if c.r < c.w {
			raw := c.in[c.r:min(c.w, c.r+len(p))]
			var n int
			w, n, end = c.dot.Unstuff(p, raw)
			c.noteHead(raw[:n])
			c.r += n
			if !c.account(n, end) {
				return 0, io.ErrUnexpectedEOF
			}
		} else {
			// Nothing buffered: read into p and unstuff in place.
			n, err := c.readNet(p)
			if err != nil {
				// The body is cut short: never io.EOF, which would make it
				// a complete message (readNet says io.EOF for a client gone).
				c.bodyEnded(false)
				b.done = true
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return 0, err
			}
			var head [len(c.head)]byte
			h := copy(head[:], p[:n]) // before unstuffing overwrites it
			var used int
			w, used, end = c.dot.Unstuff(p, p[:n])
			if used < n {
				c.keep(p[used:n]) // after the body: the next commands
			}
			c.noteHead(head[:min(h, used)])
			if !c.account(used, end) {
				return 0, io.ErrUnexpectedEOF
			}
		}
		if end {
			b.done = true
			c.pending = endMarker
			return w, io.EOF
		}
		if w > 0 {
			return w, nil
		}
	}
	if b.done {
		return 0, io.EOF
	}
	return 0, nil
}

// finish reads what is left of the body, if Data stopped early (the size
// cap), so that go-smtp's reader only sees the end marker.
func (b *bodyReader) finish() {
	if b.done {
		return // the usual case: no buffer to allocate
	}
	scratch := make([]byte, 4096)
	for !b.done {
		if _, err := b.Read(scratch); err != nil {
			return
		}
	}
}

// keep stores b, read past the end of a body while c.in was empty, as the
// next bytes to use.
func (c *conn) keep(b []byte) {
	if len(c.in) < len(b) {
		c.in = make([]byte, max(len(b), 4096))
	}
	c.r, c.w = 0, copy(c.in, b)
}

// bodyEnded notes the body (or chunk) in the transcript and goes back to
// reading commands. Outside a body it does nothing.
func (c *conn) bodyEnded(complete bool) {
	if c.mode != modeData && c.mode != modeBDAT {
		return
	}
	what := "message data"
	if c.mode == modeBDAT {
		what = "BDAT chunk"
	}
	c.tr.addBody(what, c.bodyLen, c.head[:min(c.headLen, len(c.head))], complete)
	if c.mode == modeData {
		c.cmd = command{stage: StageEndOfData}
	}
	c.mode = modeCommand
}

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

// greet runs at the start of the session: ValidateHost, then the greeting.
func (c *conn) greet() {
	c.cmd = command{stage: StageConnect}
	if c.srv.cfg.implicitTLS {
		if err := c.handshake(); err != nil {
			c.state = lifeGone
			return
		}
	}
	if len(c.srv.loadFaults()) > 0 {
		switch o := c.applyFaults(StageConnect, "", nil, ""); {
		case o.over:
			return
		case o.reply != nil:
			c.refuse(o.reply)
			return
		}
	}
	if h := c.srv.cfg.hooks.ValidateHost; h != nil {
		rep := c.srv.callHook(c, "ValidateHost", &defaultHostReply, func() error {
			return h(c.remote.Addr())
		})
		if rep != nil {
			c.refuse(rep)
			return
		}
	}
	c.reply(220, smtp.NoEnhancedCode, c.srv.smtp.Domain+" "+c.srv.cfg.banner)
}

// refuse sends rep instead of the greeting. After a 421 the connection
// closes; after anything else the front answers every command itself, the
// way tcllib smtpd treats a refused host.
func (c *conn) refuse(rep *smtp.SMTPError) {
	ec := rep.EnhancedCode
	if ec == smtp.EnhancedCodeNotSet {
		ec = smtp.NoEnhancedCode // no enhanced code in a greeting unless given
	}
	c.reply(rep.Code, ec, rep.Message)
	if rep.Code == 421 {
		c.state = lifeClosing
	} else {
		c.state = lifeRefused
	}
}

// answerRefused answers a command from a refused client: 221 to QUIT, 503
// to the commands go-smtp knows, 500 to the rest.
func (c *conn) answerRefused(verb string) {
	switch {
	case verb == "QUIT":
		c.reply(221, smtp.EnhancedCode{2, 0, 0}, "Bye")
		c.state = lifeClosing
	case wire.Known(verb):
		c.reply(503, smtp.EnhancedCode{5, 5, 1}, "Bad sequence of commands: the connection was refused")
	default:
		c.reply(500, smtp.EnhancedCode{5, 5, 2}, "Unknown command")
	}
}

// reply writes a reply of the front's own; it is recorded like go-smtp's.
// A newline in text starts a new line of the reply.
func (c *conn) reply(code int, ec smtp.EnhancedCode, text string) {
	c.out = wire.AppendReply(c.out, code, ec, strings.Split(text, "\n"))
	c.splitReplies()
}

// splitReplies finds the replies completed in c.out since the last call
// and hands each to observe.
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
		c.observe()
		c.replyStart = c.scanned
	}
}

// observe handles the complete reply c.out[c.replyStart:c.scanned]: it may
// rewrite it, records it, and switches modes on 354 and 334.
func (c *conn) observe() {
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
	var err error
	if speed := c.srv.cfg.linkSpeed; speed > 0 {
		err = c.writeSlowly(speed)
	} else {
		c.setWriteDeadline()
		_, err = c.nc.Write(c.out)
	}
	c.out, c.replyStart, c.scanned = c.out[:0], 0, 0
	return err
}

// writeSlowly sends c.out in pieces, pausing as a link of speed bytes per
// second would.
func (c *conn) writeSlowly(speed int) error {
	for out := c.out; len(out) > 0; {
		piece := out[:min(len(out), linkPiece(speed))]
		c.setWriteDeadline() // per piece: the pauses are not the client's
		if _, err := c.nc.Write(piece); err != nil {
			return err
		}
		if !c.sleep(linkTime(len(piece), speed)) {
			return net.ErrClosed
		}
		out = out[len(piece):]
	}
	return nil
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
	if !deadline.IsZero() || c.srv.cfg.writeTimeout > 0 || c.srv.draining.Load() {
		c.nc.SetWriteDeadline(deadline)
	}
}

// linkPiece is how many bytes a link of speed bytes per second carries in
// a tenth of a second (at least one).
func linkPiece(speed int) int { return max(1, speed/10) }

// linkTime is how long n bytes take at speed bytes per second.
func linkTime(n, speed int) time.Duration {
	return time.Duration(n) * time.Second / time.Duration(speed)
}

// Close is go-smtp ending the session (after QUIT, a fatal error, or the
// client leaving): the last replies go out, then the connection closes.
func (c *conn) Close() error {
	if c.state == lifeClosed {
		return nil
	}
	gone := c.state == lifeGone
	c.state = lifeClosed
	c.stop()
	if !gone {
		if !c.closeNoted {
			c.tr.note("connection closed by the server")
		}
		// Bounded: a client that does not read must not hold up the end.
		c.nc.SetWriteDeadline(time.Now().Add(time.Second))
		c.flush()
	}
	err := c.nc.Close()
	c.srv.connClosed(c)
	return err
}

// dataLine stands for the DATA command once its body is being read.
var dataLine = []byte("DATA")

// saslCancel is the client's "*" that cancels a SASL exchange.
var saslCancel = []byte("*\r\n")
