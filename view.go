package smtptest

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
)

// view holds what the accessors parsed of one message, so that a message
// the server made (and each copy it hands out) is parsed at most once for
// it, however often it is asked: a list of many messages with big headers
// costs one parse of each, not one per list.
// It is made empty with the message and filled on first use; a message
// nobody reads costs nothing. Every field is written once, under its
// sync.Once, and only read after: concurrent readers are safe.
//
// A view describes the Data it was made with: if a Message's Data is
// replaced, the accessors parse the new Data every time (they never
// answer from a view of other bytes).
type view struct {
	data []byte // the Data this view describes

	subject struct {
		once sync.Once
		s    string
		err  error
	}
}

// newView returns an empty view of data.
func newView(data []byte) *view { return &view{data: data} }

// cached returns m's view, or nil if m has none (a Message made by hand)
// or its Data is no longer the bytes the view describes.
func (m *Message) cached() *view {
	v := m.view
	if v == nil || len(v.data) != len(m.Data) || (len(m.Data) > 0 && &v.data[0] != &m.Data[0]) {
		return nil
	}
	return v
}

// headerParses counts parseHeader's calls, for the tests that hold the
// accessors to one parse per message.
var headerParses atomic.Int64

// parseHeader parses the top-level header of data; the error says why
// there is none.
func parseHeader(data []byte) (message.Header, error) {
	headerParses.Add(1)
	e, err := message.Read(bytes.NewReader(data))
	if e == nil {
		return message.Header{}, fmt.Errorf("smtptest: cannot parse message: %w", err)
	}
	// An unknown charset or transfer encoding is the body's concern.
	return e.Header, nil
}

// parsedHeader is the message's header. It is parsed anew each time: a
// header kept parsed would cost more memory than the message it comes
// from (what is kept is what is small and asked for often).
func (m *Message) parsedHeader() (message.Header, error) {
	return parseHeader(m.Data)
}

// parsedSubject is the decoded Subject, made once if m has a view.
func (m *Message) parsedSubject() (string, error) {
	subject := func() (string, error) {
		h, err := m.parsedHeader()
		if err != nil {
			return "", err
		}
		s, err := (&mail.Header{Header: h}).Subject()
		if err != nil {
			return s, fmt.Errorf("smtptest: decode Subject: %w", err)
		}
		return s, nil
	}
	v := m.cached()
	if v == nil {
		return subject()
	}
	v.subject.once.Do(func() { v.subject.s, v.subject.err = subject() })
	return v.subject.s, v.subject.err
}
