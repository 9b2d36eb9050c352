package smtptest

import (
	"fmt"
	"slices"
	"time"
)

// Default retention limits of a [Server] (see [RetainMessages],
// [RetainTranscripts], [RetainRejections]). Messages are kept without a
// limit by default: a test wants everything it sent.
const (
	// DefaultRetainTranscripts is how many transcripts of closed
	// connections a server keeps by default.
	DefaultRetainTranscripts = 10000
	// DefaultRetainRejections is how many rejections a server keeps by
	// default.
	DefaultRetainRejections = 10000
)

// RetainMessages bounds the messages the server keeps: at most n (0: no
// limit, the default) and at most bytes of [Message.Data] in all (0: no
// limit). When a new message passes a bound, the oldest are forgotten
// (the newest is always kept, however large) and an [EventDiscard] is
// reported for each. Forgotten messages still count for
// [Server.WaitForMessageCount], [Server.WaitForMessagesContext] and
// [Server.Stats]; [Server.Messages] returns the ones kept. For a server
// that runs long, as cmd/smtptest does.
func RetainMessages(n int, bytes int64) Option {
	return optionFunc(func(c *config) error {
		if n < 0 || bytes < 0 {
			return fmt.Errorf("smtptest: RetainMessages(%d, %d): negative limit", n, bytes)
		}
		c.retainMessages, c.retainMessageBytes = n, bytes
		return nil
	})
}

// RetainTranscripts bounds how many transcripts of closed connections the
// server keeps (those of open connections are always kept); when one more
// connection closes, the oldest closed one's is forgotten and an
// [EventDiscard] reported. 0 removes the limit. The default is
// [DefaultRetainTranscripts].
func RetainTranscripts(n int) Option {
	return optionFunc(func(c *config) error {
		if n < 0 {
			return fmt.Errorf("smtptest: RetainTranscripts(%d): negative limit", n)
		}
		c.retainTranscripts = n
		return nil
	})
}

// RetainRejections bounds how many rejections the server keeps; past it,
// the oldest is forgotten for each new one and an [EventDiscard] reported.
// 0 removes the limit. The default is [DefaultRetainRejections].
func RetainRejections(n int) Option {
	return optionFunc(func(c *config) error {
		if n < 0 {
			return fmt.Errorf("smtptest: RetainRejections(%d): negative limit", n)
		}
		c.retainRejections = n
		return nil
	})
}

// trimMessages forgets the oldest messages past the retention bounds and
// returns their IDs. s.mu is held.
func (s *Server) trimMessages() []int {
	n, limit := 0, s.cfg.retainMessages
	for len(s.msgs)-n > 1 &&
		((limit > 0 && len(s.msgs)-n > limit) || (s.cfg.retainMessageBytes > 0 && s.msgBytes > s.cfg.retainMessageBytes)) {
		s.msgBytes -= int64(len(s.msgs[n].Data))
		n++
	}
	if n == 0 {
		return nil
	}
	ids := make([]int, n)
	for i, m := range s.msgs[:n] {
		ids[i] = m.ID
		s.msgs[i] = nil // for the garbage collector: the array lives on
	}
	s.msgs = s.msgs[n:]
	s.stats.DiscardedMessages += n
	return ids
}

// trimRejections forgets the oldest rejections past the retention bound
// and returns them. s.mu is held.
func (s *Server) trimRejections() []Rejection {
	limit := s.cfg.retainRejections
	if limit == 0 || len(s.rejs) <= limit {
		return nil
	}
	n := len(s.rejs) - limit
	gone := slices.Clone(s.rejs[:n])
	clear(s.rejs[:n])
	s.rejs = s.rejs[n:]
	s.stats.DiscardedRejections += n
	return gone
}

// trimTranscripts forgets the transcripts of the oldest closed
// connections past the retention bound and returns their connection
// numbers. s.mu is held.
func (s *Server) trimTranscripts() []int {
	limit := s.cfg.retainTranscripts
	if limit == 0 || s.closedTranscripts <= limit {
		return nil
	}
	var ids []int
	s.transcripts = slices.DeleteFunc(s.transcripts, func(t *transcript) bool {
		if s.closedTranscripts <= limit || !t.closed {
			return false
		}
		s.closedTranscripts--
		delete(s.shown, t)
		ids = append(ids, t.id)
		return true
	})
	s.stats.DiscardedTranscripts += len(ids)
	return ids
}

// emitDiscards reports what retention forgot. s.mu must not be held.
func (s *Server) emitDiscards(messages []int, rejections []Rejection, transcripts []int) {
	if !s.observed() {
		return
	}
	now := time.Now()
	for _, id := range messages {
		s.emit(Event{Kind: EventDiscard, Time: now, Discarded: "message", MessageID: id})
	}
	for _, r := range rejections {
		s.emit(Event{Kind: EventDiscard, Time: now, Discarded: "rejection", ConnID: r.ConnID, Remote: r.Remote})
	}
	for _, id := range transcripts {
		s.emit(Event{Kind: EventDiscard, Time: now, Discarded: "transcript", ConnID: id})
	}
}
