package web

import (
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/internal/jsonview"
)

// hub fans what happens out to the web UI's event streams (GET
// /api/ui/stream). Publishing never blocks the server: each stream has a
// buffer, and a stream that falls behind is told to reload ("resync")
// instead of being sent what it missed. Events are small (a message's
// ID, not the message): the stream's own goroutine fetches what it shows.
type hub struct {
	mu        sync.Mutex // guards the fields below
	subs      map[*stream]struct{}
	closed    bool
	onDiscard func(id int) // told of each message retention forgot, if set
}

// stream is one subscriber.
type stream struct {
	events chan hubEvent
	lagged atomic.Bool // an event did not fit: the UI must reload
	done   chan struct{}
}

type hubEvent struct {
	name string // message, rejection, connection, deleted, faults
	id   int    // the message (message) or connection (connection)
	data []byte // JSON, for rejection and deleted
	// enc is the JSON of a message event, made once by the first stream
	// that sends it and shared by all the others.
	enc *encoded
}

// encoded is data made once, on first use, for every stream.
type encoded struct {
	once sync.Once
	data []byte
	ok   bool
}

// get returns the data, made by encode the first time.
func (e *encoded) get(encode func() ([]byte, bool)) ([]byte, bool) {
	e.once.Do(func() { e.data, e.ok = encode() })
	return e.data, e.ok
}

// streamBuffer is how many events a stream may fall behind.
const streamBuffer = 256

// maxStreams is how many streams may be open at once: each costs the
// server a goroutine and a write per event.
const maxStreams = 64

// errTooManyStreams refuses a stream past maxStreams.
var errTooManyStreams = fmt.Errorf("%d event streams are open, the most there may be", maxStreams)

func newHub() *hub { return &hub{subs: map[*stream]struct{}{}} }

// forgetting has f told of each message retention forgets.
func (h *hub) forgetting(f func(id int)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.onDiscard = f
}

// subscribe opens a stream; the returned func closes it. Past maxStreams
// it returns errTooManyStreams.
func (h *hub) subscribe() (*stream, func(), error) {
	s := &stream{events: make(chan hubEvent, streamBuffer), done: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(s.done)
		return s, func() {}, nil
	}
	if len(h.subs) >= maxStreams {
		return nil, nil, errTooManyStreams
	}
	h.subs[s] = struct{}{}
	return s, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.subs[s]; ok {
			delete(h.subs, s)
			close(s.done)
		}
	}, nil
}

// publish sends ev to every stream, without waiting.
func (h *hub) publish(ev hubEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		select {
		case s.events <- ev:
		default:
			s.lagged.Store(true)
		}
	}
}

// publishJSON publishes an event whose data is v.
func (h *hub) publishJSON(name string, v any) {
	if h.idle() {
		return
	}
	b, _ := json.Marshal(v)
	h.publish(hubEvent{name: name, data: b})
}

func (h *hub) idle() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs) == 0
}

// close ends every stream (the HTTP server is shutting down: the streams
// would hold it up) and refuses new ones.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		delete(h.subs, s)
		close(s.done)
	}
}

// event publishes what the UI shows of a server event: called from the
// server's OnEvent, so it only sends IDs and small values.
func (h *hub) event(ev smtptest.Event) {
	switch ev.Kind {
	case smtptest.EventMessage:
		h.publish(hubEvent{name: "message", id: ev.Message.ID, enc: new(encoded)})
	case smtptest.EventRejection:
		h.publishJSON("rejection", jsonview.RejectionOf(*ev.Rejection))
	case smtptest.EventClose:
		h.publish(hubEvent{name: "connection", id: ev.ConnID})
	case smtptest.EventDiscard:
		if ev.Discarded == "message" {
			h.mu.Lock()
			forget := h.onDiscard
			h.mu.Unlock()
			if forget != nil {
				forget(ev.MessageID)
			}
			h.publishJSON("deleted", deletedJSON{IDs: []int{ev.MessageID}})
		}
	}
}

// deletedJSON says which messages are gone: IDs, or all of them.
type deletedJSON struct {
	IDs []int `json:"ids,omitempty"`
	All bool  `json:"all,omitempty"`
}
