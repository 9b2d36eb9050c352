package smtptest

import (
	"errors"
	"net/netip"
	"time"

	"github.com/smtptest/smtptest/internal/follow"
)

// EventKind says what an [Event] reports.
type EventKind int

// The kinds of events.
const (
	EventConnect   EventKind = iota + 1 // a client connected
	EventMessage                        // a message was recorded
	EventRejection                      // a refusal was recorded
	EventClose                          // a connection ended
	EventDiscard                        // retention forgot a message, a rejection or a transcript
	EventError                          // the server could not accept a connection; it keeps trying
)

func (k EventKind) String() string {
	switch k {
	case EventConnect:
		return "connect"
	case EventMessage:
		return "message"
	case EventRejection:
		return "rejection"
	case EventClose:
		return "close"
	case EventDiscard:
		return "discard"
	case EventError:
		return "error"
	}
	return "EventKind(?)"
}

// Event is something that happened on the server, as [OnEvent] reports
// it.
type Event struct {
	Kind      EventKind
	Time      time.Time
	ConnID    int            // the connection, as numbered in the transcript
	Remote    netip.AddrPort // the client's address
	Message   *Message       // EventMessage: a copy of the message recorded
	Rejection *Rejection     // EventRejection: the refusal recorded
	Discarded string         // EventDiscard: "message", "rejection" or "transcript" (of connection ConnID)
	MessageID int            // EventDiscard of a message: its ID
	Err       error          // EventError: what went wrong
}

// OnEvent makes the server call f for each event: a client connects, a
// message or a refusal is recorded, a connection ends, retention forgets
// something, accepting a connection fails. f is called after
// the record has changed, one event at a time (calls never overlap, so f
// may write to a shared output without a lock), and never after Close
// returns. The events of one connection come in order. f runs on the
// server's goroutines and holds up what it reports on: the connection,
// and for EventConnect and EventError every new connection (they run on
// the accept loop). It should be quick; the standalone cmd/smtptest only
// queues a line.
func OnEvent(f func(Event)) Option {
	return optionFunc(func(c *config) error {
		if f == nil {
			return errors.New("smtptest: OnEvent: nil function")
		}
		c.onEvent = f
		return nil
	})
}

// emit reports ev to the OnEvent function and the followers, if any.
// s.mu must not be held.
func (s *Server) emit(ev Event) {
	if !s.observed() {
		return
	}
	s.events.pass(func() {
		if s.cfg.onEvent != nil {
			s.cfg.onEvent(ev)
		}
		if fs := s.followers.Load(); fs != nil {
			for _, f := range *fs {
				f.call(ev)
			}
		}
	})
}

// observed reports whether anyone is told of events: an OnEvent function
// or a follower. Events nobody is told of are not made.
func (s *Server) observed() bool {
	if s.cfg.onEvent != nil {
		return true
	}
	fs := s.followers.Load()
	return fs != nil && len(*fs) > 0
}

// follower is a function told of events besides OnEvent's (see
// internal/follow: the web package's).
type follower struct{ call func(Event) }

// follow adds f to the followers; stop removes it. The followers are a
// slice replaced whole under followMu, so emit reads it without a lock.
func (s *Server) follow(f func(Event)) (stop func()) {
	fl := &follower{call: f}
	s.followMu.Lock()
	defer s.followMu.Unlock()
	var next []*follower
	if fs := s.followers.Load(); fs != nil {
		next = append(next, *fs...)
	}
	next = append(next, fl)
	s.followers.Store(&next)
	return func() {
		s.followMu.Lock()
		var rest []*follower
		if fs := s.followers.Load(); fs != nil {
			for _, o := range *fs {
				if o != fl {
					rest = append(rest, o)
				}
			}
		}
		s.followers.Store(&rest)
		s.followMu.Unlock()
		s.events.pass(func() {}) // a call in flight to fl has returned
	}
}

func init() {
	follow.Events = func(srv any, f func(any)) func() {
		return srv.(*Server).follow(func(ev Event) { f(ev) })
	}
}
