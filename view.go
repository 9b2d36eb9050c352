package smtptest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/smtptest/smtptest/lint"
)

// view holds what the accessors parsed of one message, so that a message
// is parsed at most once, however often and by however many accessors it
// is read: Header and Subject share one parse of the header; TextBody,
// HTMLBody, Attachments and Links share one walk of the MIME tree, which
// decodes every part once; Lint (with no options of the caller's) is run
// once. A message nobody reads costs nothing: each part is made on first
// use, under its sync.Once, and only read after (concurrent readers are
// safe).
//
// Every Message the server makes has its own view. The one it records
// has a light view, which keeps the subject alone (for Summaries: a
// parsed header, or the decoded parts, kept for every message recorded
// would cost more than the messages). Each copy it hands out (Messages,
// MessageByID, the events) has a full view, which lives as long as the
// copy: a copy a test keeps and reads holds its decoded parts as well as
// its Data; a list that drops its copies holds nothing more.
//
// A view describes the Data it was made with: if a Message's Data is
// replaced, the accessors parse the new Data every time (they never
// answer from a view of other bytes).
type view struct {
	data  []byte // the Data this view describes
	light bool   // keeps the subject alone (the recorded message's view)

	// subject alone, for Summary: a light view's only content.
	subject struct {
		once sync.Once
		s    string
		err  error
	}
	// head is the parsed header, for Header and Subject of a copy.
	head struct {
		once    sync.Once
		h       message.Header
		err     error
		subject string
		subjErr error
	}
	// tree is the walk of the MIME tree.
	tree struct {
		once sync.Once
		t    *tree
	}
	links struct {
		once  sync.Once
		links []string
		err   error
	}
	lint struct {
		once     sync.Once
		problems []lint.Problem
		envelope lintEnvelope // what it was run with
	}
}

// newView returns an empty full view of data, for a copy handed out.
func newView(data []byte) *view { return &view{data: data} }

// newLightView returns an empty light view of data, for the recorded
// message.
func newLightView(data []byte) *view { return &view{data: data, light: true} }

// describes reports whether v is a view of m's Data as it is now.
func (v *view) describes(m *Message) bool {
	return v != nil && len(v.data) == len(m.Data) && (len(m.Data) == 0 || &v.data[0] == &m.Data[0])
}

// cached returns m's full view, or nil if m has none (a Message made by
// hand, or the recorded message) or its Data is no longer the bytes the
// view describes.
func (m *Message) cached() *view {
	if v := m.view; v.describes(m) && !v.light {
		return v
	}
	return nil
}

// headerParses and treeWalks count the parses, for the tests that hold
// the accessors to one of each per message.
var headerParses, treeWalks atomic.Int64

// parseHeader parses the top-level header of data as message.Read does
// (the same reader, the same 1 MB bound on the header), without setting
// up the body's decoders and with a pooled buffer: the header is what
// Summaries and every printed message line need. The error says why there
// is none.
func parseHeader(data []byte) (message.Header, error) {
	headerParses.Add(1)
	br := headerReaders.Get().(*bufio.Reader)
	defer headerReaders.Put(br)
	lr := &headerLimit{r: bytes.NewReader(data), n: maxHeaderBytes}
	br.Reset(lr)
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return message.Header{}, fmt.Errorf("smtptest: cannot parse message: %w", err)
	}
	return message.Header{Header: h}, nil
}

// headerReaders are parseHeader's buffers, of bufio's default size.
var headerReaders = sync.Pool{New: func() any { return bufio.NewReader(nil) }}

// maxHeaderBytes is go-message's bound on a header (message.ReadOptions).
const maxHeaderBytes = 1 << 20

// errHeaderTooBig says what go-message says of a header over the bound.
var errHeaderTooBig = errors.New("message: header exceeds maximum size")

// headerLimit is go-message's limited reader: past n bytes, errHeaderTooBig.
type headerLimit struct {
	r io.Reader
	n int64
}

func (l *headerLimit) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errHeaderTooBig
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// decodeSubject decodes h's Subject.
func decodeSubject(h message.Header) (string, error) {
	s, err := (&mail.Header{Header: h}).Subject()
	if err != nil {
		return s, fmt.Errorf("smtptest: decode Subject: %w", err)
	}
	return s, nil
}

// parsedHeader is the message's header, parsed once if m has a view. The
// caller must not change it (Header hands out a copy).
func (m *Message) parsedHeader() (message.Header, error) {
	v := m.cached()
	if v == nil {
		return parseHeader(m.Data)
	}
	v.head.once.Do(func() {
		v.head.h, v.head.err = parseHeader(v.data)
		if v.head.err != nil {
			v.head.subjErr = v.head.err
			return
		}
		v.head.subject, v.head.subjErr = decodeSubject(v.head.h)
	})
	return v.head.h, v.head.err
}

// parsedSubject is the decoded Subject, from the parsed header.
func (m *Message) parsedSubject() (string, error) {
	v := m.cached()
	if v == nil {
		return subjectOf(m.Data)
	}
	m.parsedHeader()
	return v.head.subject, v.head.subjErr
}

// subjectOf parses data's header and decodes its Subject.
func subjectOf(data []byte) (string, error) {
	h, err := parseHeader(data)
	if err != nil {
		return "", err
	}
	return decodeSubject(h)
}

// summarySubject is the decoded Subject for Summary, made once: found by
// plainSubject where it can, else from the full view's parsed header
// (which Header and Subject then share), or, for the recorded message,
// parsed for it alone. Either way the view keeps the subject alone.
func (m *Message) summarySubject() (string, error) {
	v := m.view
	if !v.describes(m) {
		return m.parsedSubject()
	}
	v.subject.once.Do(func() {
		if s, ok := plainSubject(v.data); ok {
			v.subject.s = s
		} else if v.light {
			v.subject.s, v.subject.err = subjectOf(v.data)
		} else {
			v.subject.s, v.subject.err = m.parsedSubject()
		}
	})
	return v.subject.s, v.subject.err
}

// tree is a message's MIME tree as the accessors read it: its leaves in
// order, each decoded once, and the error that ended the walk early.
type tree struct {
	leaves []leaf
	err    error // the walk stopped here (after leaves): a malformed multipart, ...
}

// leaf is a part that is not multipart, as walk found it.
type leaf struct {
	part      // its classification (part.entity is nil: the body is read)
	contentID string
	data      []byte
	readErr   error // reading (decoding) data failed
}

// parsedTree walks m's MIME tree once if m has a view.
func (m *Message) parsedTree() *tree {
	v := m.cached()
	if v == nil {
		return walkTree(m.Data)
	}
	v.tree.once.Do(func() { v.tree.t = walkTree(v.data) })
	return v.tree.t
}

// walkTree reads every leaf of data's MIME tree, decoding each body.
func walkTree(data []byte) *tree {
	treeWalks.Add(1)
	t := &tree{}
	t.err = walk(data, func(p part) (bool, error) {
		b, err := io.ReadAll(p.entity.Body)
		l := leaf{part: p, contentID: strings.Trim(p.entity.Header.Get("Content-Id"), "<> \t"), data: b, readErr: err}
		l.entity = nil
		t.leaves = append(t.leaves, l)
		return false, nil
	})
	return t
}

// cachedLinks is Links, made once if m has a view; the caller gets its
// own slice.
func (m *Message) cachedLinks() ([]string, error) {
	v := m.cached()
	if v == nil {
		return m.links()
	}
	v.links.once.Do(func() { v.links.links, v.links.err = m.links() })
	return slices.Clone(v.links.links), v.links.err
}

// lintEnvelope is what m's envelope tells lint.
type lintEnvelope struct {
	smtputf8, eightBit bool
	mailFrom           string
}

// cachedLint is Lint without options of the caller's, run once if m has
// a view (and its envelope still says what it said then); the caller
// gets its own slice.
func (m *Message) cachedLint(env lintEnvelope, check func() []lint.Problem) []lint.Problem {
	v := m.cached()
	if v == nil {
		return check()
	}
	v.lint.once.Do(func() { v.lint.problems, v.lint.envelope = check(), env })
	if v.lint.envelope != env {
		return check()
	}
	return slices.Clone(v.lint.problems)
}
