package smtptest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/emersion/go-message"
	"github.com/emersion/go-smtp"
)

// Hooks are the server's callbacks, after tcllib smtpd's -validate_host,
// -validate_sender, -validate_recipient, -deliver and -deliverMIME. A nil
// hook accepts. Hooks is an [Option]:
//
//	srv := smtptest.NewServer(t, smtptest.Hooks{
//		ValidateRecipient: func(to string) error { ... },
//	})
//
// When several Hooks options are given, a later non-nil field replaces an
// earlier one.
//
// A hook's error refuses the command. An [*smtp.SMTPError] (found with
// [errors.As], so it may be wrapped) is sent as it is; its code must be 4xx
// (a temporary failure the client may retry) or 5xx (permanent). Any other
// error gets the stage's default reply with the error's text:
//
//	ValidateHost       554 <text> as the greeting; then 503 to known commands, 500 to others, 221 to QUIT
//	ValidateSender     550 5.7.1 <text>
//	ValidateRecipient  550 5.1.1 <text>
//	Deliver            554 5.0.0 <text>
//	DeliverMIME        554 5.0.0 <text>
//
// A hook that returns an *smtp.SMTPError with a 2xx or 3xx code, or that
// panics, is a bug in the test: the server reports it through the test's
// Errorf and answers "451 4.3.0".
//
// Hooks may be called from many goroutines at once, one per client
// connection. Every refusal is recorded in [Server.Rejections].
type Hooks struct {
	// ValidateHost is called when a client connects, before the greeting,
	// with the client's address.
	ValidateHost func(remote netip.Addr) error
	// ValidateSender is called for MAIL FROM with the reverse-path without
	// angle brackets; "" for the null sender <>.
	ValidateSender func(from string) error
	// ValidateRecipient is called for each RCPT TO with the address without
	// angle brackets. A refused recipient is not added to the envelope.
	ValidateRecipient func(to string) error
	// Deliver is called after the body is read, before the reply to it.
	// Returning nil accepts the message: it is recorded, then the client
	// gets 250. m is the value that will be recorded: Deliver must not
	// modify it.
	Deliver func(m *Message) error
	// DeliverMIME is called at the same moment, after Deliver, with the
	// envelope and the message parsed by go-message (transfer encodings and
	// charsets decoded). If go-message cannot parse the message at all, the
	// reply is "554 5.6.0" and DeliverMIME is not called.
	DeliverMIME func(env Envelope, e *message.Entity) error
	// Authenticate decides AUTH instead of the [Users] table (and enables
	// AUTH PLAIN and LOGIN by itself): it gets the mechanism and the
	// credentials, and nil accepts. Use it to accept any password for a
	// user, or to fail the third attempt. A plain error gets
	// "535 5.7.8 <text>". For XOAUTH2 and OAUTHBEARER it decides instead
	// of [Tokens], the token as the password; for EXTERNAL it is asked
	// after the certificate was verified, with an empty password.
	// CRAM-MD5 and SCRAM-SHA-256 never send the password, so the Users
	// table decides those.
	Authenticate func(mechanism, username, password string) error
}

func (h Hooks) apply(c *config) error {
	if h.ValidateHost != nil {
		c.hooks.ValidateHost = h.ValidateHost
	}
	if h.ValidateSender != nil {
		c.hooks.ValidateSender = h.ValidateSender
	}
	if h.ValidateRecipient != nil {
		c.hooks.ValidateRecipient = h.ValidateRecipient
	}
	if h.Deliver != nil {
		c.hooks.Deliver = h.Deliver
	}
	if h.DeliverMIME != nil {
		c.hooks.DeliverMIME = h.DeliverMIME
	}
	if h.Authenticate != nil {
		c.hooks.Authenticate = h.Authenticate
	}
	return nil
}

// Default replies for a plain error from a hook.
var (
	defaultHostReply    = smtp.SMTPError{Code: 554, EnhancedCode: smtp.NoEnhancedCode, Message: "Access denied"}
	defaultSenderReply  = smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Sender refused"}
	defaultRcptReply    = smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Recipient refused"}
	defaultDeliverReply = smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 0, 0}, Message: "Delivery refused"}
)

// errHookBug answers a hook that panicked or returned a non-error reply.
var errHookBug = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "smtptest: hook failed, see the test log"}

// errShuttingDown answers a command that arrives while the server closes.
var errShuttingDown = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Server shutting down"}

// callHook runs one hook on behalf of conn c and turns its result into the
// reply go-smtp sends: nil, or an unwrapped *smtp.SMTPError (go-smtp finds
// it with a type assertion, not errors.As). def is the stage's default.
func (s *Server) callHook(c *conn, name string, def *smtp.SMTPError, hook func() error) (reply *smtp.SMTPError) {
	if !s.userCode.enter(c, name) {
		return errShuttingDown
	}
	defer s.userCode.leave(c, name)
	defer func() {
		if r := recover(); r != nil {
			s.errorf("smtptest: %s hook panicked on conn %d: %v\n%s", name, c.id, r, debug.Stack())
			reply = errHookBug
		}
	}()
	err := hook()
	if err == nil {
		return nil
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		if se.Code < 400 || se.Code > 599 {
			s.errorf("smtptest: %s hook returned reply %d %q, which is not an error; hooks must return 4xx or 5xx", name, se.Code, se.Message)
			return errHookBug
		}
		return &smtp.SMTPError{Code: se.Code, EnhancedCode: se.EnhancedCode, Message: replyText(se.Message, "Refused")}
	}
	return &smtp.SMTPError{Code: def.Code, EnhancedCode: def.EnhancedCode, Message: replyText(err.Error(), def.Message)}
}

// replyText makes s safe to send as reply text: CR and other control
// characters become spaces, a newline starts a new reply line, and a
// character that is not ASCII becomes "?". An empty (or all white space)
// s gives def.
func replyText(s, def string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return def
	}
	if !containsControl(s) && isASCII(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r < ' ' || r == 0x7f:
			return ' '
		case r > 0x7f:
			return '?' // a reply is ASCII (RFC 5321 2.4); a client may choke on 8-bit bytes
		}
		return r
	}, s)
}

// isASCII reports whether s is all ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] > 0x7f {
			return false
		}
	}
	return true
}

// hookTracker follows the user code the server runs (hooks, and the
// reading of message bodies, which Deliver hooks follow), so that Close
// waits for it, bounded, and names what is stuck. After stop, nothing new
// may start. Its methods may be called from any goroutine.
type hookTracker struct {
	mu      sync.Mutex // guards the fields below
	stopped bool
	running int              // hooks and bodies being run
	idle    chan struct{}    // closed when running drops to 0; made by wait
	names   map[*conn]string // the hook each connection is in, for describe
}

// enter registers that conn c runs hook name; it returns false once the
// tracker has stopped: the hook must not run. leave undoes it.
func (h *hookTracker) enter(c *conn, name string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return false
	}
	h.running++
	if name != "" {
		if h.names == nil {
			h.names = make(map[*conn]string)
		}
		h.names[c] = name
	}
	return true
}

func (h *hookTracker) leave(c *conn, name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if name != "" {
		delete(h.names, c)
	}
	if h.running--; h.running == 0 && h.idle != nil {
		close(h.idle)
		h.idle = nil
	}
}

// enterBody and leaveBody register the reading of a message body, which
// Close waits for like a hook (it ends in the Deliver hooks).
func (h *hookTracker) enterBody(c *conn) bool { return h.enter(c, "") }
func (h *hookTracker) leaveBody(c *conn)      { h.leave(c, "") }

// stop lets nothing new start.
func (h *hookTracker) stop() {
	h.mu.Lock()
	h.stopped = true
	h.mu.Unlock()
}

// busy reports whether anything runs.
func (h *hookTracker) busy() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.running > 0
}

// wait waits until nothing runs, or ctx ends.
func (h *hookTracker) wait(ctx context.Context) {
	h.mu.Lock()
	if h.running == 0 {
		h.mu.Unlock()
		return
	}
	if h.idle == nil {
		h.idle = make(chan struct{})
	}
	idle := h.idle
	h.mu.Unlock()
	select {
	case <-idle:
	case <-ctx.Done():
	}
}

// describe names what runs, for Close's report.
func (h *hookTracker) describe() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var names []string
	for c, name := range h.names {
		names = append(names, fmt.Sprintf("%s (conn %d)", name, c.id))
	}
	if len(names) == 0 {
		return "a session"
	}
	sort.Strings(names)
	return "hook " + strings.Join(slices.Compact(names), ", ")
}
