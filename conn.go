package smtptest

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
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
//     end-of-data marker, wire.DotReader), BDAT chunks (by their announced
//     size) and SASL responses (after a 334 reply).
//   - Write collects replies. Each reply is recorded in the transcript, and
//     a 4xx or 5xx one in the rejections, whoever chose it: a hook, a fault,
//     or go-smtp itself. Replies are sent in one write when go-smtp next
//     needs input and none is buffered, so a multi-line reply is one write
//     and pipelined replies are batched (RFC 2920).
//   - The front writes the greeting itself, after ValidateHost, and serves a
//     refused client alone.
//
// The files of the front: conn.go (this one: the connection's life, the
// listener, the greeting), conn_read.go (the input buffer and the
// commands), conn_body.go (DATA and BDAT bodies), conn_write.go (replies:
// collecting, rewriting, recording, sending); the grammar is in
// internal/wire, TLS in tls.go, LinkSpeed in link.go, faults in faults.go.
//
// Goroutines. The front runs on go-smtp's connection goroutine: go-smtp
// calls Read, Write and Close from it. These are the only crossings, each
// safe as said:
//
//   - The accept loop (listener.Accept) makes the conn and may greet
//     (greet, flush) before go-smtp starts the connection's goroutine: it
//     hands the conn over when Accept returns, so the two never overlap.
//   - go-smtp's BDAT goroutine runs Session.Data, which applies the end of
//     data faults (applyFaults: the transcript and connFaults have locks,
//     drop uses the atomic dropped flag and closes the socket) and reads
//     the immutable facts (id, remote, tr).
//   - Shutdown sets the socket's deadlines and reads inTx (atomic).
//   - Server.Close calls stop (a sync.Once) and closes the socket.
//
// An earlier design put an in-memory pipe and a goroutine between the
// socket and go-smtp; calling the front from go-smtp's own goroutine keeps
// the same guarantees with no extra copy and no goroutine switch per
// command.

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
	// Set at the start, never changed: read from any goroutine.
	srv      *Server
	id       int
	remote   netip.AddrPort
	tr       *transcript   // has its own lock
	sock     net.Conn      // the TCP socket; Close and deadlines may come from any goroutine
	done     chan struct{} // closed by stop: ends fault delays and a slow link's pauses
	stopOnce sync.Once

	// Shared with other goroutines, hence atomic.
	dropped  atomic.Bool // a fault dropped the connection (the BDAT goroutine may drop it)
	fastData atomic.Bool // a DATA body follows, for Session.Data to read through bodyReader
	inTx     atomic.Bool // a transaction is open, from the 250 to MAIL to the reply that ends it (Shutdown reads it)
	faults   connFaults  // the connection's generator for Rate draws (has its own lock)

	// Everything below belongs to the connection goroutine (and to the
	// accept loop, before it starts: see the comment above).

	// Life and transport.
	state         life
	stream        net.Conn // what the front reads and writes: sock, or a slow link or TLS over it
	tls           *TLSInfo // the TLS session, once there is one
	authenticated bool     // a 235 answered AUTH: STARTTLS is no longer allowed
	needHelo      bool     // after STARTTLS: a new session, which must begin with EHLO
	closeNoted    bool     // the transcript already says the server closed

	// Input (conn_read.go).
	in        []byte // bytes read from the client; in[r:w] not yet used
	r, w      int
	pending   []byte // what go-smtp has not yet read of the current command line
	mode      mode
	cmd       command
	afterAuth bool // since an AUTH line, no known command: a line may be a SASL response

	// The transaction, as the replies show it (conn_write.go).
	rcpts      []string // its recipients, from the 250s to RCPT
	bdatActive bool     // a BDAT transfer has begun: the next BDAT is not the DATA stage, DATA is refused
	limited    bool     // RateLimit counted this connection: it lets it go when it ends
	bdatPassed bool     // go-smtp has seen a chunk of it (its BDAT goroutine runs)

	// The body being read (conn_body.go).
	dot      wire.DotReader // DATA: where the body ends
	bdatLeft int64          // BDAT: bytes of the chunk still to come
	dropLeft int64          // > 0: a fault drops the connection after this many more body bytes
	bodyLen  int64          // bytes of the body (DATA) or chunk (BDAT) so far
	head     [40]byte       // their first bytes, for the transcript
	headLen  int

	// Output (conn_write.go).
	greeted       bool   // go-smtp's own greeting has been replaced
	earlyGreeting bool   // the front greeted from Accept
	out           []byte // replies collected, sent by flush
	replyStart    int    // start in out of the reply being written
	scanned       int    // bytes of out already split into lines
}

// The narrow view the session has of its connection (data flows one way:
// the session reads these, and never writes to the front).

// tlsInfo returns the TLS session of the connection now, or nil.
func (c *conn) tlsInfo() *TLSInfo { return c.tls }

// dataBody returns the reader of the DATA body that follows, or nil if
// none does (BDAT: go-smtp's pipe brings the chunks). See bodyReader.
func (c *conn) dataBody() *bodyReader {
	if c.fastData.CompareAndSwap(true, false) {
		return &bodyReader{c: c}
	}
	return nil
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
func (c *conn) LocalAddr() net.Addr                { return c.sock.LocalAddr() }
func (c *conn) RemoteAddr() net.Addr               { return c.sock.RemoteAddr() }
func (c *conn) SetDeadline(t time.Time) error      { return c.stream.SetDeadline(t) }
func (c *conn) SetReadDeadline(t time.Time) error  { return c.stream.SetReadDeadline(t) }
func (c *conn) SetWriteDeadline(t time.Time) error { return c.stream.SetWriteDeadline(t) }

// stop ends the connection's fault delays; Server.Close and Close call it.
func (c *conn) stop() {
	c.stopOnce.Do(func() { close(c.done) })
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
	if len(c.srv.faults.load()) > 0 {
		switch o := c.applyFaults(StageConnect, "", nil, ""); {
		case o.over:
			return
		case o.reply != nil:
			c.refuse(o.reply)
			return
		}
	}
	if c.pregreeted() {
		c.refuse(replyUnsynchronized)
		c.state = lifeClosing
		return
	}
	if l := c.srv.cfg.rateLimit; l != nil {
		if rep := l.connect(c.remote.Addr()); rep != nil {
			c.refuse(rep)
			return
		}
		c.limited = true
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
		c.stream.SetWriteDeadline(time.Now().Add(time.Second))
		c.flush()
		if c.r < c.w {
			c.linger()
		}
	}
	if c.limited {
		// Before the socket closes: a client that saw it close and comes
		// back finds its place free (RateLimit.Concurrent).
		c.srv.cfg.rateLimit.disconnect(c.remote.Addr())
		c.limited = false
	}
	err := c.stream.Close()
	c.srv.connClosed(c)
	return err
}

// linger ends a session that closes with the client's input unread (it
// pipelined commands past the one that ended it, such as go-smtp's "too
// many errors"): closing a socket with unread input makes the kernel send
// a reset, which can destroy the last replies before the client reads
// them. So the front says it is done writing, and reads and drops what
// the client still sends, briefly, before it closes.
func (c *conn) linger() {
	tc, ok := c.sock.(*net.TCPConn)
	if !ok || c.stream != c.sock { // TLS: its close_notify is the end
		return
	}
	tc.CloseWrite()
	tc.SetReadDeadline(time.Now().Add(lingerBound))
	var scratch [4096]byte
	for n := 0; n < 1<<20; {
		k, err := tc.Read(scratch[:])
		n += k
		if err != nil {
			return
		}
	}
}

// lingerBound is how long linger reads what a client still sends.
const lingerBound = 200 * time.Millisecond

// dataLine stands for the DATA command once its body is being read.
var dataLine = []byte("DATA")

// saslCancel is the client's "*" that cancels a SASL exchange.
var saslCancel = []byte("*\r\n")
