package smtptest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/smtptest/smtptest/internal/wire"
)

// Fault is one misbehaviour of the server, as data, so that a table row
// can carry it: at a Stage of the dialogue, for the commands whose
// argument matches Match, the server waits Delay, then replies Reply
// instead of going on, or drops the connection without a word (Drop) — at
// most Times times, each time with probability Rate.
//
// A Fault is an [Option]; [Server.Inject] adds faults while the server
// runs. Faults are read live: a fault injected while a client is connected
// applies to that client's next command.
//
// Faults act before hooks on the same command: a fault that replies or
// drops at RCPT means ValidateRecipient is not called for it. On one
// command, every fault that fires applies, in the order they were given:
// their delays add up, and the first that replies or drops ends the
// command. Every reply and drop is recorded in [Server.Rejections] (a drop
// with Reply.Code 0); a delay is noted in the transcript.
//
// Where each stage acts:
//
//	StageConnect    the greeting: a Reply replaces it (421 then closes; any
//	                other code makes the server answer 503 to the commands
//	                it knows, 500 to others and 221 to QUIT, like a refused
//	                host); a Drop closes at once
//	StageHelo ... StageQuit
//	                the command, before go-smtp sees it
//	StageData       the DATA command (or the first BDAT), before any body;
//	                with Drop and AfterBytes, the connection drops after that
//	                many bytes of the body instead
//	StageEndOfData  after the body (the final dot, or BDAT LAST), before the
//	                Deliver hooks: the message is not recorded
type Fault struct {
	Stage Stage
	// Match selects the commands by their argument: the address for MAIL
	// ("<>" is the null sender) and RCPT, the domain for HELO/EHLO, the
	// mechanism for AUTH; at DATA and end of data, the transaction's
	// recipients (the fault fires if any matches). It is exact or a glob
	// in path.Match syntax ("*@example.org"), both case-insensitive. ""
	// matches everything; at connect, RSET, NOOP and QUIT, which have no
	// argument, Match must be "".
	Match string
	// Reply is sent instead of going on; its code must be 4xx or 5xx. A
	// text with newlines makes a multi-line reply. An enhanced code left
	// unset becomes X.0.0 (except in the greeting).
	Reply *smtp.SMTPError
	// Delay is how long the server waits before it replies (or drops, or
	// goes on). Close interrupts it.
	Delay time.Duration
	// Drop closes the connection without a reply.
	Drop bool
	// AfterBytes, with Drop at StageData, lets the client send this many
	// bytes of the message body before the connection drops.
	AfterBytes int64
	// Times is how many times the fault fires, over all connections; 0
	// means every time. A command the fault lets pass does not count.
	Times int
	// Rate is the probability that the fault fires on a command it
	// matches; 0 means always. Each connection draws from its own
	// generator, seeded from the server's seed (see [Seed]) and the
	// connection's number, so a run replays with the same seed.
	Rate float64
}

// maxReplyText is the longest text of one reply line: a reply line is at
// most 512 octets with its CRLF (RFC 5321 4.5.3.1.5), after the code, its
// separator and an enhanced code of up to "5.999.999 ".
const maxReplyText = 512 - len("\r\n") - len("550 ") - len("5.999.999 ")

// Validate reports what is wrong with f, if anything: a Stage that is not
// one of the named stages, a Reply code that is not 4xx or 5xx, a line of
// Reply text longer than a reply line allows (496 bytes), with a control
// character or not ASCII, both Reply and Drop, nothing to do, a Rate
// outside [0, 1] (or NaN), a negative Delay, Times or AfterBytes,
// AfterBytes without Drop at StageData, a Match at a stage without
// argument, or a malformed glob.
func (f Fault) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if !f.Stage.valid() {
		add("Stage %v is not a stage of the dialogue", f.Stage)
	}
	if f.Reply != nil && (f.Reply.Code < 400 || f.Reply.Code > 599) {
		add("Reply code %d is not 4xx or 5xx", f.Reply.Code)
	}
	if f.Reply != nil && f.Drop {
		add("both Reply and Drop")
	}
	if f.Reply == nil && !f.Drop && f.Delay == 0 {
		add("no Reply, Delay or Drop: it does nothing")
	}
	if !(f.Rate >= 0 && f.Rate <= 1) { // NaN too
		add("Rate %v is outside [0, 1]", f.Rate)
	}
	if f.Reply != nil {
		for _, line := range strings.Split(f.Reply.Message, "\n") {
			switch {
			case len(line) > maxReplyText:
				add("a line of Reply text is %d bytes, more than the %d a reply line leaves (RFC 5321 4.5.3.1.5)", len(line), maxReplyText)
			case containsControl(line):
				add("control character in Reply text %q", line)
			case !isASCII(line):
				add("non-ASCII Reply text %q: a reply is ASCII (RFC 5321 2.4)", line)
			}
		}
	}
	if f.Delay < 0 || f.Times < 0 || f.AfterBytes < 0 {
		add("negative Delay, Times or AfterBytes")
	}
	if f.AfterBytes > 0 && (f.Stage != StageData || !f.Drop) {
		add("AfterBytes needs Drop at StageData")
	}
	switch f.Stage {
	case StageConnect, StageRset, StageNoop, StageQuit:
		if f.Match != "" {
			add("Match %q at %v, which has no argument", f.Match, f.Stage)
		}
	}
	if _, err := path.Match(f.Match, ""); err != nil {
		add("Match %q: %v", f.Match, err)
	}
	if problems != nil {
		return fmt.Errorf("smtptest: invalid Fault %s: %s", f, strings.Join(problems, "; "))
	}
	return nil
}

// String describes f briefly, as transcripts and errors show it.
func (f Fault) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "{%v", f.Stage)
	if f.Match != "" {
		fmt.Fprintf(&b, " %s", f.Match)
	}
	if f.Delay > 0 {
		fmt.Fprintf(&b, " delay %v", f.Delay)
	}
	switch {
	case f.Reply != nil:
		fmt.Fprintf(&b, " reply %s", wire.FormatLine(f.Reply))
	case f.Drop && f.AfterBytes > 0:
		fmt.Fprintf(&b, " drop after %d bytes", f.AfterBytes)
	case f.Drop:
		b.WriteString(" drop")
	}
	if f.Times > 0 {
		fmt.Fprintf(&b, " x%d", f.Times)
	}
	if f.Rate > 0 {
		fmt.Fprintf(&b, " rate %v", f.Rate)
	}
	b.WriteString("}")
	return b.String()
}

func (f Fault) apply(c *config) error {
	if err := f.Validate(); err != nil {
		return err
	}
	c.faults = append(c.faults, f)
	return nil
}

// Faults is a list of faults; it is an [Option] too, so that a constructor
// such as [SlowReplies] can return several.
type Faults []Fault

func (fs Faults) apply(c *config) error {
	for _, f := range fs {
		if err := f.apply(c); err != nil {
			return err
		}
	}
	return nil
}

// Seed sets the seed the faults' Rate draws come from, so that a chaos run
// replays exactly. Without it the seed is random; [Server.Config] reports
// it, and a server made by [NewServer] logs it when its test fails.
func Seed(seed uint64) Option {
	return optionFunc(func(c *config) error {
		c.seed, c.seedSet = seed, true
		return nil
	})
}

// Convenience constructors for the common cases.

// RejectRecipient refuses the recipients that match (an address or a glob
// such as "*@bad.example") with "550 5.1.1", every time.
func RejectRecipient(match string) Fault {
	return Fault{Stage: StageRcpt, Match: match, Reply: &smtp.SMTPError{
		Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Recipient address rejected (smtptest fault)"}}
}

// RejectSender refuses the senders that match with "550 5.7.1", every
// time. Match "<>" for the null sender.
func RejectSender(match string) Fault {
	return Fault{Stage: StageMail, Match: match, Reply: &smtp.SMTPError{
		Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Sender address rejected (smtptest fault)"}}
}

// FailNextDelivery answers the next message's final dot with "451 4.3.0",
// once: the client should retry, and the retry is accepted.
func FailNextDelivery() Fault {
	return Fault{Stage: StageEndOfData, Times: 1, Reply: &smtp.SMTPError{
		Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary failure, try again later (smtptest fault)"}}
}

// DropAfterData hangs up after the body of every message, without a reply:
// the client cannot know whether the message was delivered (it was not).
func DropAfterData() Fault {
	return Fault{Stage: StageEndOfData, Drop: true}
}

// Greet421 greets every client with "421 4.3.2" and closes the
// connection, as a server that is shutting down or overloaded does.
func Greet421() Fault {
	return Fault{Stage: StageConnect, Reply: &smtp.SMTPError{
		Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Service not available, closing transmission channel (smtptest fault)"}}
}

// SlowReplies delays every reply by d: the greeting and the replies to
// every command of every stage.
func SlowReplies(d time.Duration) Faults {
	return EveryStage(Fault{Delay: d})
}

// EveryStage returns f once for each stage, from StageConnect to
// StageQuit (f.Stage is ignored), for misbehaviour anywhere in the
// dialogue: EveryStage(Fault{Drop: true, Rate: 0.05}) drops one command in
// twenty. f.Match must be "".
func EveryStage(f Fault) Faults {
	var fs Faults
	for s := StageConnect; s <= StageQuit; s++ {
		f.Stage = s
		fs = append(fs, f)
	}
	return fs
}

// Inject adds faults while the server runs; they apply from each
// connection's next command. It returns a function that removes them
// again (and only them). Inject panics if a fault is invalid (see
// [Fault.Validate]), as faults are written in tests.
func (s *Server) Inject(faults ...Fault) (remove func()) {
	for _, f := range faults {
		if err := f.Validate(); err != nil {
			panic(err.Error())
		}
	}
	return s.faults.add(faults)
}

// ClearFaults removes every fault, those given at start too.
func (s *Server) ClearFaults() {
	s.faults.clear()
}

// faultSet is the faults in force: an immutable list behind an atomic
// pointer, replaced (never changed) by add and clear, so that reading it
// costs one atomic load per command and connected clients see changes at
// their next command.
type faultSet struct {
	mu   sync.Mutex                    // serializes changes
	list atomic.Pointer[[]*faultEntry] // nil: none
	used atomic.Bool                   // some fault was ever given: log the seed on failure
}

// load returns the faults in force; the caller must not change the slice.
func (fs *faultSet) load() []*faultEntry {
	if p := fs.list.Load(); p != nil {
		return *p
	}
	return nil
}

// add adds faults (valid ones) and returns the function that removes them.
func (fs *faultSet) add(faults []Fault) (remove func()) {
	entries := make([]*faultEntry, len(faults))
	for i, f := range faults {
		entries[i] = newFaultEntry(f)
	}
	fs.used.Store(true)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	list := append(slices.Clone(fs.load()), entries...)
	fs.list.Store(&list)
	return func() {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		list := slices.DeleteFunc(slices.Clone(fs.load()), func(e *faultEntry) bool {
			return slices.Contains(entries, e)
		})
		fs.list.Store(&list)
	}
}

func (fs *faultSet) clear() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.list.Store(nil)
}

// faultEntry is a Fault as the server holds it: the match prepared, the
// firings counted.
type faultEntry struct {
	Fault
	pattern string // Match in lower case
	glob    bool
	fired   atomic.Int64
}

func newFaultEntry(f Fault) *faultEntry {
	return &faultEntry{Fault: f, pattern: strings.ToLower(f.Match), glob: strings.ContainsAny(f.Match, `*?[\`)}
}

// matches reports whether the fault applies to a command with these
// arguments (one for a command, the recipients at DATA and end of data).
func (e *faultEntry) matches(args []string) bool {
	if e.pattern == "" {
		return true
	}
	for _, a := range args {
		a = strings.ToLower(a)
		if e.glob {
			if ok, _ := path.Match(e.pattern, a); ok {
				return true
			}
		} else if a == e.pattern {
			return true
		}
	}
	return false
}

// claim counts a firing, unless the fault has fired Times times already.
func (e *faultEntry) claim() bool {
	if e.Times == 0 {
		e.fired.Add(1)
		return true
	}
	for {
		n := e.fired.Load()
		if n >= int64(e.Times) {
			return false
		}
		if e.fired.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// connFaults is a connection's part of the fault machinery: its own
// generator for Rate draws, made on the first draw.
type connFaults struct {
	mu  sync.Mutex // the draws of DATA (connection goroutine) and BDAT's end of data (go-smtp's) do not overlap, but the race detector cannot know
	rng *rand.Rand
}

// draw returns a number in [0, 1) from the connection's generator.
func (c *conn) draw() float64 {
	c.faults.mu.Lock()
	defer c.faults.mu.Unlock()
	if c.faults.rng == nil {
		c.faults.rng = rand.New(rand.NewPCG(c.srv.seed, uint64(c.id)))
	}
	return c.faults.rng.Float64()
}

// faultsAt decides what the faults do to a command at stage with these
// arguments: the total delay, and the fault that replies or drops (nil if
// the command goes on).
func (c *conn) faultsAt(stage Stage, args []string) (time.Duration, *faultEntry) {
	var delay time.Duration
	for _, e := range c.srv.faults.load() {
		if e.Stage != stage || !e.matches(args) {
			continue
		}
		if e.Rate > 0 && c.draw() >= e.Rate {
			continue
		}
		if !e.claim() {
			continue
		}
		delay += e.Delay
		if e.Reply != nil || e.Drop {
			return delay, e
		}
	}
	return delay, nil
}

// faultOutcome is what the faults do to one command (or greeting, or end
// of data), once their delay has passed.
type faultOutcome struct {
	reply     *smtp.SMTPError // reply this instead of going on
	dropAfter int64           // > 0: go on, and drop the connection after so many body bytes
	over      bool            // the connection is over: a fault dropped it, or it closed during the delay
}

// applyFaults is the one place a fault is applied, at any stage: it finds
// the faults of a command at stage (arg is what a drop's rejection
// reports, args what Match is tested against), waits out their delay (the
// replies collected so far go out first), and drops the connection if one
// says so. The caller does the rest of the outcome: send the reply (the
// front), or return it to go-smtp (end of data, in Session.Data, which may
// run on go-smtp's BDAT goroutine).
func (c *conn) applyFaults(stage Stage, arg string, args []string, command string) faultOutcome {
	delay, f := c.faultsAt(stage, args)
	if delay > 0 {
		c.tr.note("fault: delay " + delay.String())
		if stage != StageEndOfData { // at end of data the body was just read: nothing to send
			if err := c.flush(); err != nil {
				c.lost(err)
				return faultOutcome{over: true}
			}
		}
		if !c.sleep(delay) {
			if stage != StageEndOfData {
				c.lost(net.ErrClosed)
			}
			return faultOutcome{over: true}
		}
	}
	switch {
	case f == nil:
		return faultOutcome{}
	case f.Drop && f.AfterBytes > 0:
		return faultOutcome{dropAfter: f.AfterBytes}
	case f.Drop:
		c.drop(stage, arg, command)
		if stage != StageEndOfData {
			c.state = lifeGone
		}
		return faultOutcome{over: true}
	}
	return faultOutcome{reply: faultReply(f, stage)}
}

// faultReply is the reply a fault sends, enhanced code completed.
func faultReply(e *faultEntry, stage Stage) *smtp.SMTPError {
	r := *e.Reply
	r.Message = replyText(r.Message, "Refused (smtptest fault)")
	if r.EnhancedCode == smtp.EnhancedCodeNotSet && stage != StageConnect {
		r.EnhancedCode = smtp.EnhancedCode{r.Code / 100, 0, 0}
	}
	return &r
}

// sleep waits a fault's delay d, or until the connection is closed (it
// reports false then), or until Shutdown begins: a delay is cut short
// then, and the command goes on (true), so that the transaction can
// finish within the shutdown's time.
func (c *conn) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.done:
		return false
	case <-c.srv.cutDelays:
		c.tr.note("fault: delay cut short: the server is shutting down")
		return true
	}
}

// drop closes the connection on purpose, for a fault, and records it as a
// rejection without a reply. It may run on go-smtp's BDAT goroutine.
func (c *conn) drop(stage Stage, arg, command string) {
	if c.dropped.Swap(true) {
		return
	}
	c.tr.note("fault: connection dropped")
	c.srv.addRejection(Rejection{
		Stage: stage, Arg: arg, Command: command,
		Remote: c.remote, ConnID: c.id, Time: time.Now(),
	})
	c.sock.Close()
}

// errDropped is what Session.Data returns after a fault dropped the
// connection; nobody reads the reply go-smtp makes of it.
var errDropped = errors.New("smtptest: connection dropped by a fault")
