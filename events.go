package smtptest

import (
	"errors"
	"net/netip"
	"time"
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

// emit reports ev to the OnEvent function, if any. s.mu must not be held.
func (s *Server) emit(ev Event) {
	if s.cfg.onEvent == nil {
		return
	}
	s.events.pass(func() { s.cfg.onEvent(ev) })
}
