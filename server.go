package smtptest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log"
	"math/rand/v2"
	"net"
	"net/netip"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/smtptest/smtptest/dkimtest"
)

// Server is an SMTP server on loopback that records every message it
// accepts. Make one with [NewServer] in a test, or with [Start] elsewhere.
// Its methods are safe to call from any goroutine, but
// [Server.WaitForMessages] of a server made by NewServer fails its test
// like t.Fatal, so it belongs on the test's goroutine; others use
// [Server.WaitForMessagesContext].
type Server struct {
	cfg       config
	t         testing.TB // nil for a server made by Start
	smtp      *smtp.Server
	ln        *listener
	serveDone chan struct{}
	closeOnce sync.Once

	mu                sync.Mutex // guards the fields below
	closing           bool
	msgs              []*Message // kept, in acceptance order; never changed once recorded
	msgBytes          int64      // bytes of Data in msgs
	received          int        // messages recorded since start or Reset, forgotten ones too
	rejs              []Rejection
	rejected          int // rejections since start or Reset, forgotten ones too
	closedTranscripts int // transcripts of closed connections in transcripts
	stats             Stats
	conns             map[*conn]struct{} // open connections
	transcripts       []*transcript      // every connection's, in order
	nextID            int
	changed           chan struct{}         // closed when msgs grows; nil until a waiter needs it
	shown             map[*transcript]int64 // bytes of each transcript shown by TranscriptForFailure; nil until then

	userCode hookTracker // the hooks and message bodies running, for Close

	logs   gate // reports to the test (or the standard logger), one at a time, none after Close
	events gate // OnEvent calls, one at a time, none after Close
	// followers are told of events besides OnEvent (see follow); the
	// slice is replaced whole under followMu and read without a lock.
	followers atomic.Pointer[[]*follower]
	followMu  sync.Mutex

	draining atomic.Bool   // Shutdown has begun; read on every command
	drained  chan struct{} // closed when the last connection ends while draining; guarded by mu
	// cutDelays is closed when Shutdown begins: fault delays end at
	// once, so that a transaction the server itself holds up can finish
	// in time (its client is not slow: the fault is).
	cutDelays     chan struct{}
	cutDelaysOnce sync.Once

	tlsConfig *tls.Config       // nil without TLS
	leaf      *x509.Certificate // the certificate presented, if known

	lastMessageID atomic.Int64 // the ID given to the last message read

	seed   uint64   // for the faults' Rate draws
	faults faultSet // the faults in force

	dkim dkimtest.Keys // the public keys VerifyDKIM knows

	notices notices // what Bounces made
}

// NewServer starts a server on 127.0.0.1 with a system-chosen port and
// registers t.Cleanup to close it. It fails the test (t.Fatal) if an
// option is invalid or it cannot listen.
//
// The server reports to t: go-smtp's internal errors are logged, a hook
// that panics or returns a non-error reply fails the test, and when the
// test has failed the cleanup logs the SMTP transcript of every connection,
// its first words naming the test, the server's address and where it was
// made (the log line itself is attributed to smtptest's own file). Lines a
// failure message showed already are not logged again, nor are lines that
// only say a connection closed after it (see
// [Server.TranscriptForFailure]). Nothing reaches t after Close.
//
// In a fuzz test, give NewServer the *testing.T of each input, or use
// [Start] for a server shared by all inputs: the testing package forbids
// calling the *testing.F's methods inside the fuzz target.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := start(t, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Where the server was made: the cleanup's log lines are attributed to
	// this file, so they name the test and the server in their first words.
	made := ""
	if _, file, line, ok := runtime.Caller(1); ok {
		made = fmt.Sprintf(" (made at %s:%d)", filepath.Base(file), line)
	}
	t.Cleanup(func() {
		s.Close()
		if !t.Failed() {
			return
		}
		who := fmt.Sprintf("%s: smtptest server %s%s", t.Name(), s.Addr(), made)
		if s.faults.used.Load() {
			t.Logf("%s: its faults drew from smtptest.Seed(%d)", who, s.seed)
		}
		text, news, before := s.takeUnshown()
		switch {
		case !before:
			t.Logf("%s: SMTP transcript:\n%s", who, text)
		case news:
			t.Logf("%s: the SMTP transcript after the failure message above:\n%s", who, text)
		}
	})
	return s
}

// Start starts a server like [NewServer] does, without a test: it returns
// an error instead of failing a test, and the caller must call
// [Server.Close]. Reports that NewServer sends to the test (a hook that
// panics, a hook still running at Close) go to the standard logger;
// nothing else is logged.
func Start(opts ...Option) (*Server, error) {
	return start(nil, opts)
}

func start(t testing.TB, opts []Option) (*Server, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("smtptest: nil Option")
		}
		if err := o.apply(&cfg); err != nil {
			return nil, err
		}
	}
	if err := cfg.checkAuthMechs(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:       cfg,
		t:         t,
		serveDone: make(chan struct{}),
		cutDelays: make(chan struct{}),
		conns:     make(map[*conn]struct{}),
	}
	s.seed = cfg.seed
	if len(cfg.bounces) > 0 {
		s.notices.ctx, s.notices.cancel = context.WithCancel(context.Background())
	}
	if !cfg.seedSet {
		s.seed = rand.Uint64()
	}
	if len(cfg.faults) > 0 {
		s.faults.add(cfg.faults)
	}
	if err := s.setupTLS(); err != nil {
		return nil, err
	}
	s.smtp = smtp.NewServer(backend{s})
	s.smtp.Domain = cfg.domain
	s.smtp.MaxRecipients = cfg.maxRecipients
	s.smtp.EnableDSN = true
	s.smtp.EnableSMTPUTF8 = true
	s.setOwnedFields()
	owned := ownedFields(s.smtp)
	for _, f := range cfg.configure {
		f(s.smtp)
	}
	if changed := ownedFields(s.smtp).diff(owned); changed != "" {
		return nil, fmt.Errorf("smtptest: ConfigureSMTP changed %s, which smtptest owns; use its options instead", changed)
	}

	ln, err := listenConfig.Listen(context.Background(), "tcp", cfg.addr)
	if err != nil {
		return nil, fmt.Errorf("smtptest: listen on %s: %w", cfg.addr, err)
	}
	s.ln = &listener{Listener: ln, srv: s}
	go func() {
		defer close(s.serveDone)
		s.smtp.Serve(s.ln)
	}()
	return s, nil
}

// listenConfig is how servers listen. Keep-alive probes on accepted
// connections would only matter to clients that vanish without a word for
// hours; setting them up costs four system calls per connection. MPTCP,
// which Go turns on for listeners by default, buys nothing on loopback.
var listenConfig = func() net.ListenConfig {
	lc := net.ListenConfig{KeepAlive: -1}
	lc.SetMultipathTCP(false)
	return lc
}()

// setOwnedFields sets the go-smtp fields the front and the session rely
// on.
func (s *Server) setOwnedFields() {
	// The front reads lines itself: it refuses over-long command lines and
	// lets long DATA lines through, to be recorded as they came.
	s.smtp.MaxLineLength = 0
	// The session enforces the size cap: go-smtp's DATA check refuses a
	// message of exactly the cap.
	s.smtp.MaxMessageBytes = 0
	// The front applies the timeouts, per read and per write.
	s.smtp.ReadTimeout, s.smtp.WriteTimeout = 0, 0
	s.smtp.ErrorLog = smtpLog{s}
	// The front does TLS (go-smtp only sees plain text, so it must not try)
	// and the session decides when AUTH is allowed.
	s.smtp.TLSConfig = nil
	s.smtp.AllowInsecureAuth = true
}

// owned holds the go-smtp fields ConfigureSMTP must not change.
type owned struct {
	backend           smtp.Backend
	tlsConfig         *tls.Config
	allowInsecureAuth bool
	maxMessageBytes   int64
	maxLineLength     int
	readTimeout       time.Duration
	writeTimeout      time.Duration
	errorLog          smtp.Logger
}

func ownedFields(s *smtp.Server) owned {
	return owned{s.Backend, s.TLSConfig, s.AllowInsecureAuth, s.MaxMessageBytes, s.MaxLineLength, s.ReadTimeout, s.WriteTimeout, s.ErrorLog}
}

// diff names the fields that differ between o and p, with the option to
// use instead.
func (o owned) diff(p owned) string {
	var names []string
	add := func(changed bool, name string) {
		if changed {
			names = append(names, name)
		}
	}
	add(o.backend != p.backend, "Backend (use Hooks)")
	add(o.tlsConfig != p.tlsConfig, "TLSConfig (use StartTLS, ImplicitTLS, TLSConfig)")
	add(o.allowInsecureAuth != p.allowInsecureAuth, "AllowInsecureAuth (use AuthRequiresTLS)")
	add(o.maxMessageBytes != p.maxMessageBytes, "MaxMessageBytes (use MaxMessageBytes)")
	add(o.maxLineLength != p.maxLineLength, "MaxLineLength")
	add(o.readTimeout != p.readTimeout, "ReadTimeout (use ReadTimeout)")
	add(o.writeTimeout != p.writeTimeout, "WriteTimeout (use WriteTimeout)")
	add(o.errorLog != p.errorLog, "ErrorLog")
	return strings.Join(names, ", ")
}

// Addr returns the address the server listens on, such as
// "127.0.0.1:54321", ready for net/smtp.SendMail.
func (s *Server) Addr() string {
	return s.ln.Addr().String()
}

// Host returns the host of [Server.Addr], such as "127.0.0.1", for
// clients configured with the host and the port apart (go-mail, gomail,
// Django, Rails, Spring).
func (s *Server) Host() string {
	return s.ln.Addr().(*net.TCPAddr).IP.String()
}

// Port returns the port of [Server.Addr] as a number.
func (s *Server) Port() int {
	return s.ln.Addr().(*net.TCPAddr).Port
}

// Config is the effective configuration of a [Server], as [Server.Config]
// reports it.
type Config struct {
	Addr            string // the address it listens on
	Domain          string // the first word of the greeting
	Banner          string // the rest of the greeting
	MaxMessageBytes int64
	MaxRecipients   int // 0: no limit
	ReadTimeout     time.Duration
	WriteTimeout    time.Duration
	CloseTimeout    time.Duration
	Seed            uint64 // the seed of the faults' Rate draws
	StartTLS        bool   // STARTTLS is offered
	ImplicitTLS     bool   // TLS from the first byte
	RequireTLS      bool   // MAIL and AUTH need TLS
	Auth            bool   // AUTH PLAIN and LOGIN are offered (Users or Hooks.Authenticate)
	RequireAuth     bool   // MAIL needs AUTH
	AuthRequiresTLS bool   // AUTH needs TLS

	// RetainMessages and RetainMessageBytes are the bounds of
	// [RetainMessages]; 0: none.
	RetainMessages     int
	RetainMessageBytes int64
}

// Config returns the server's effective configuration: the options given,
// the defaults for the rest, and the address actually bound.
func (s *Server) Config() Config {
	return Config{
		Addr:            s.Addr(),
		Domain:          s.smtp.Domain,
		Banner:          s.cfg.banner,
		MaxMessageBytes: s.cfg.maxMessageBytes,
		MaxRecipients:   s.smtp.MaxRecipients,
		ReadTimeout:     s.cfg.readTimeout,
		WriteTimeout:    s.cfg.writeTimeout,
		CloseTimeout:    s.cfg.closeTimeout,
		Seed:            s.seed,

		RetainMessages:     s.cfg.retainMessages,
		RetainMessageBytes: s.cfg.retainMessageBytes,
		StartTLS:           s.cfg.startTLS,
		ImplicitTLS:        s.cfg.implicitTLS,
		RequireTLS:         s.cfg.requireTLS,
		Auth:               s.authEnabled(),
		RequireAuth:        s.cfg.requireAuth,
		AuthRequiresTLS:    s.cfg.authRequiresTLS,
	}
}

// Close stops the server: it closes the listener and every connection,
// even mid-transaction, and waits for the goroutines serving them. If a
// hook is still running after the close timeout ([CloseTimeout], 5s by
// default), Close reports it (t.Errorf for a server made by [NewServer])
// and returns; whatever that hook returns later is discarded. Close is
// idempotent, and a server made by NewServer calls it in t.Cleanup.
// Messages, rejections and transcripts stay readable after Close.
func (s *Server) Close() {
	s.closeOnce.Do(s.close)
}

// Shutdown stops the server gracefully: it stops accepting connections,
// lets every transaction in flight finish (a message being sent is
// received and recorded), answers each idle session "421 4.3.2 Service
// shutting down" and closes it, then calls [Server.Close]. If ctx ends
// first, Shutdown closes what is left at once and returns ctx.Err(). A
// session in the middle of a transaction is waited for until ctx ends.
// Fault delays end when Shutdown begins (the command they held up goes
// on): a transaction the server itself holds up can finish in time.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		s.Close()
		return nil
	}
	s.draining.Store(true)
	s.cutDelaysOnce.Do(func() { close(s.cutDelays) })
	drained := make(chan struct{})
	s.drained = drained
	if len(s.conns) == 0 {
		close(drained)
		s.drained = nil
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()

	s.ln.Close() // no new connections; Close waits for the serve loop
	now := time.Now()
	for _, c := range conns {
		c.sock.SetReadDeadline(now) // wakes a session waiting for its next command
		if !c.inTx.Load() {
			// A session outside a transaction stuck writing to a client
			// that does not read: bounded, so it ends too.
			c.sock.SetWriteDeadline(now.Add(drainWriteBound))
		}
	}
	var err error
	select {
	case <-drained:
	case <-ctx.Done():
		err = ctx.Err()
	}
	s.Close()
	return err
}

func (s *Server) close() {
	s.mu.Lock()
	s.closing = true
	s.userCode.stop() // no hook starts from now on
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()

	// After this no connection is added: Accept fails, and newConn refuses
	// while closing.
	s.ln.Close()
	<-s.serveDone
	for _, c := range conns {
		c.stop()
		c.sock.Close()
	}

	// Once every connection has passed its Close (go-smtp has called
	// Logout), no hook runs and no OnEvent function can be running, what
	// is left of go-smtp's goroutines cannot block: wait for them without
	// arming a timer (which would wake the runtime's network poller, a
	// cost in every test). Otherwise user code can hold a connection up,
	// and the wait is bounded.
	s.mu.Lock()
	settled := len(s.conns) == 0 && !s.userCode.busy() && !s.observed() && len(s.cfg.bounces) == 0
	s.mu.Unlock()
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if !settled {
		ctx, cancel = context.WithTimeout(ctx, s.cfg.closeTimeout)
	}
	defer cancel()
	// Shutdown waits for go-smtp's connection goroutines; their sockets are
	// closed, so only a hook can keep one running. Then the hooks that run
	// elsewhere (go-smtp's BDAT goroutine), if any.
	if err := s.smtp.Shutdown(ctx); err == nil || !errors.Is(err, context.DeadlineExceeded) {
		s.userCode.wait(ctx)
	}
	s.notices.close(ctx)
	if ctx.Err() != nil {
		s.errorf("smtptest: Close: %s still running after %v; the server stopped waiting, and what it returns is discarded", s.userCode.describe(), s.cfg.closeTimeout)
	}

	s.logs.shut()
	s.events.shut()
}

// greetEarly reports whether a new connection can be greeted from the
// accept loop: nothing (a hook, a connect fault, a TLS handshake, a slow
// link) has to run first.
func (s *Server) greetEarly() bool {
	if s.cfg.hooks.ValidateHost != nil || s.cfg.implicitTLS || s.cfg.linkSpeed > 0 {
		return false
	}
	for _, f := range s.faults.load() {
		if f.Stage == StageConnect {
			return false
		}
	}
	return true
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// newConn makes the front of a new connection, or returns nil if the
// server is closing.
func (s *Server) newConn(nc net.Conn) *conn {
	now := time.Now()
	remote := addrPort(nc.RemoteAddr())
	c := &conn{srv: s, sock: nc, stream: nc, remote: remote, done: make(chan struct{})}
	if s.cfg.linkSpeed > 0 {
		c.stream = &slowLink{Conn: nc, speed: s.cfg.linkSpeed, stop: c.done, beforeWrite: c.setWriteDeadline}
	}
	c.out = make([]byte, 0, 512) // a greeting, an EHLO reply: one allocation

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing || s.draining.Load() {
		return nil
	}
	s.nextID++
	s.stats.Connections++
	c.id = s.nextID
	c.tr = newTranscript(c.id, remote, addrPort(nc.LocalAddr()), now)
	s.transcripts = append(s.transcripts, c.tr)
	s.conns[c] = struct{}{}
	return c
}

func (s *Server) connClosed(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	if len(s.conns) == 0 && s.drained != nil {
		close(s.drained)
		s.drained = nil
	}
	// Reset and retention forget only closed connections' transcripts:
	// c.tr is still in s.transcripts.
	c.tr.closed = true
	s.closedTranscripts++
	gone := s.trimTranscripts()
	s.mu.Unlock()
	s.emit(Event{Kind: EventClose, Time: time.Now(), ConnID: c.id, Remote: c.remote})
	s.emitDiscards(nil, nil, gone)
}

// addrPort converts a TCP address; IPv4-mapped IPv6 addresses become IPv4.
func addrPort(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}

// errorf reports a bug in the test (a hook that panicked, a hook stuck at
// Close): t.Errorf while the test runs, the standard logger without a test.
func (s *Server) errorf(format string, args ...any) {
	s.logs.pass(func() {
		if s.t != nil {
			s.t.Errorf(format, args...)
		} else {
			log.Printf(format, args...)
		}
	})
}

// logf logs to the test while it runs; without a test it logs nothing.
func (s *Server) logf(format string, args ...any) {
	if s.t == nil {
		return
	}
	s.logs.pass(func() { s.t.Logf(format, args...) })
}

// gate lets calls through one at a time until it is shut (at Close):
// after that nothing passes, so nothing reaches a finished test or an
// OnEvent function whose server has closed.
type gate struct {
	mu      sync.Mutex // held while a call passes
	shutNow bool
}

// pass calls f, unless the gate is shut; calls never overlap.
func (g *gate) pass(f func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.shutNow {
		f()
	}
}

// shut waits for a call passing, and lets no other through.
func (g *gate) shut() {
	g.mu.Lock()
	g.shutNow = true
	g.mu.Unlock()
}

// smtpLog routes go-smtp's error log to the test.
type smtpLog struct{ s *Server }

func (l smtpLog) Printf(format string, v ...any) { l.s.logf("smtptest: go-smtp: "+format, v...) }
func (l smtpLog) Println(v ...any)               { l.s.logf("smtptest: go-smtp: %s", fmt.Sprintln(v...)) }
