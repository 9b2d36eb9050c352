package smtptest

import (
	"bytes"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"
)

// A connection's transcript is kept in chunks: the first holds the start
// of the dialogue and is kept for good; the others hold the latest lines,
// and once there are transcriptChunks of them, the oldest is reused for
// the newest. Memory per connection is bounded, and a long session costs
// no allocation per message once the ring is full. A marker line says how
// much was left out between the head and the rest.
const (
	transcriptChunk  = 4 << 10
	transcriptChunks = 16  // 64 KiB per connection at most
	maxLineShown     = 512 // longer lines are cut, with their length noted
)

// transcript is the record of one connection's dialogue: both directions
// in plain text (after TLS), AUTH secrets masked, message data summarized
// by its size and first bytes.
type transcript struct {
	id            int
	remote, local netip.AddrPort
	start         time.Time
	closed        bool // the connection has closed; guarded by Server.mu

	mu      sync.Mutex // guards the fields below
	chunks  [][]byte   // whole lines; chunks[0] is the head
	line    []byte     // the line being formatted, reused
	omitted int64      // bytes left out between the head and the rest
	written int64      // bytes ever added: grows with the dialogue, never shrinks
}

func newTranscript(id int, remote, local netip.AddrPort, start time.Time) *transcript {
	return &transcript{id: id, remote: remote, local: local, start: start}
}

// header is the transcript's first line, made when it is read.
func (t *transcript) header() []byte {
	b := append([]byte("conn "), strconv.Itoa(t.id)...)
	b = append(b, ": "...)
	b = t.remote.AppendTo(b)
	b = append(b, " -> "...)
	b = t.local.AppendTo(b)
	b = append(b, " at "...)
	b = t.start.AppendFormat(b, "15:04:05.000000")
	return append(b, '\n')
}

// Directions of transcript lines.
const (
	dirClient = "C: "
	dirServer = "S: "
	dirNote   = "-- "
)

// begin starts formatting a line in t.line, with the time and direction.
// t.mu is held.
func (t *transcript) begin(elapsed time.Duration, dir string) {
	t.line = appendElapsed(t.line[:0], elapsed)
	t.line = append(t.line, dir...)
}

// put stores the line formatted in t.line. t.mu is held.
func (t *transcript) put() {
	t.line = append(t.line, '\n')
	t.written += int64(len(t.line))
	if n := len(t.chunks); n > 0 && len(t.chunks[n-1])+len(t.line) <= transcriptChunk {
		t.chunks[n-1] = append(t.chunks[n-1], t.line...)
		return
	}
	var c []byte
	switch {
	case len(t.chunks) == 0:
		c = make([]byte, 0, 1024) // the head; grows to a full chunk if the session goes on
	case len(t.chunks) < transcriptChunks:
		c = make([]byte, 0, transcriptChunk)
	default:
		// Full: the oldest chunk after the head is left out, and reused.
		t.omitted += int64(len(t.chunks[1]))
		c = t.chunks[1][:0]
		copy(t.chunks[1:], t.chunks[2:])
		t.chunks = t.chunks[:len(t.chunks)-1]
	}
	t.chunks = append(t.chunks, append(c, t.line...))
}

// add appends one line. line must not include its line ending.
func (t *transcript) add(dir string, line []byte) {
	t.mu.Lock()
	t.begin(time.Since(t.start), dir)
	t.line = appendEscaped(t.line, line)
	t.put()
	t.mu.Unlock()
}

// addReply appends each line of a reply (lines ending in CRLF), with one
// timestamp.
func (t *transcript) addReply(reply []byte) {
	t.mu.Lock()
	elapsed := time.Since(t.start)
	for len(reply) > 0 {
		i := bytes.IndexByte(reply, '\n')
		line := bytes.TrimSuffix(reply[:i], []byte("\r"))
		reply = reply[i+1:]
		t.begin(elapsed, dirServer)
		t.line = appendEscaped(t.line, line)
		t.put()
	}
	t.mu.Unlock()
}

// addBody appends the line that stands for a message body or BDAT chunk:
// its size and first bytes, never the data itself.
func (t *transcript) addBody(what string, size int64, head []byte, complete bool) {
	t.mu.Lock()
	t.begin(time.Since(t.start), dirClient)
	t.line = append(t.line, '[')
	t.line = strconv.AppendInt(t.line, size, 10)
	t.line = append(t.line, " bytes of "...)
	t.line = append(t.line, what...)
	if !complete {
		t.line = append(t.line, ", incomplete"...)
	}
	t.line = append(t.line, ": "...)
	t.line = strconv.AppendQuote(t.line, unsafeString(head))
	if size > int64(len(head)) {
		t.line = append(t.line, "..."...)
	}
	t.line = append(t.line, ']')
	t.put()
	t.mu.Unlock()
}

// unsafeString views b as a string for a call that only reads it.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// since returns the lines added after the first from bytes (of all ever
// added), as String formats them but without the header, and how many
// bytes were added in all. Lines the ring has dropped since are replaced
// by the marker line that says how much was left out.
func (t *transcript) since(from int64) ([]byte, int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var b []byte
	var pos int64
	for i, c := range t.chunks {
		if i == 1 && t.omitted > 0 {
			if from < pos+t.omitted {
				b = t.appendOmitted(b)
			}
			pos += t.omitted
		}
		if end := pos + int64(len(c)); from < end {
			b = append(b, c[max(0, from-pos):]...)
		}
		pos += int64(len(c))
	}
	return b, t.written
}

// appendOmitted appends the line that stands for what the ring dropped.
// t.mu is held.
func (t *transcript) appendOmitted(b []byte) []byte {
	b = append(b, "            ... "...)
	b = strconv.AppendInt(b, t.omitted, 10)
	return append(b, " bytes of transcript omitted ...\n"...)
}

// note appends a line of the transcript's own (dirNote).
func (t *transcript) note(s string) {
	t.add(dirNote, []byte(s))
}

func (t *transcript) String() string {
	lines, _ := t.since(0) // all of it, with the marker where the ring dropped lines
	return string(append(t.header(), lines...))
}

// appendElapsed appends d as a right-aligned "   12.345ms " column.
func appendElapsed(b []byte, d time.Duration) []byte {
	us := int64(d / time.Microsecond)
	var digits [20]byte
	ms := strconv.AppendInt(digits[:0], us/1000, 10)
	for i := len(ms); i < 7; i++ {
		b = append(b, ' ')
	}
	b = append(b, ms...)
	b = append(b, '.')
	frac := us % 1000
	b = append(b, byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
	return append(b, "ms "...)
}

// appendEscaped appends line so that it reads on one line of a test log:
// control bytes and invalid UTF-8 are escaped Go-style, and a line longer
// than maxLineShown is cut with its length noted.
func appendEscaped(b, line []byte) []byte {
	n := len(line)
	if n > maxLineShown {
		line = line[:maxLineShown]
	}
	if plain(line) {
		b = append(b, line...)
	} else {
		for len(line) > 0 {
			r, size := utf8.DecodeRune(line)
			switch {
			case r == utf8.RuneError && size == 1:
				b = appendHexByte(b, line[0])
			case r == '\t':
				b = append(b, `\t`...)
			case r == '\r':
				b = append(b, `\r`...)
			case r == '\n':
				b = append(b, `\n`...)
			case r < ' ' || r == 0x7f:
				b = appendHexByte(b, line[0])
			default:
				b = append(b, line[:size]...)
			}
			line = line[size:]
		}
	}
	if n > maxLineShown {
		b = append(b, "... ("...)
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, " bytes)"...)
	}
	return b
}

// plain reports whether line is valid UTF-8 without control bytes.
func plain(line []byte) bool {
	for _, c := range line {
		if c < ' ' || c == 0x7f {
			return false
		}
		if c >= utf8.RuneSelf {
			return utf8.Valid(line)
		}
	}
	return true
}

func appendHexByte(b []byte, c byte) []byte {
	const hex = "0123456789abcdef"
	return append(b, '\\', 'x', hex[c>>4], hex[c&0xf])
}

// Transcript returns the dialogue of every connection so far, oldest first:
// each line with the time since the connection opened, "C:" for what the
// client sent and "S:" for the server's replies, in plain text even over
// TLS. AUTH secrets are masked (what follows an AUTH verb and mechanism,
// and after an AUTH attempt every line that is not a known command), and
// message data appears as its size and first bytes. A server made by [NewServer] logs it when its test fails.
func (s *Server) Transcript() string {
	s.mu.Lock()
	ts := slices.Clone(s.transcripts)
	s.mu.Unlock()
	return joinTranscripts(ts)
}

// TranscriptOf returns the transcripts of these connections only (the
// numbers of [Message.ConnID] and [Rejection.ConnID]), oldest first: what
// a failure message of a test that shares the server with others shows.
// Connections it does not know (forgotten, or never made) are left out.
func (s *Server) TranscriptOf(connIDs ...int) string {
	s.mu.Lock()
	var ts []*transcript
	for _, t := range s.transcripts {
		if slices.Contains(connIDs, t.id) {
			ts = append(ts, t)
		}
	}
	s.mu.Unlock()
	return joinTranscripts(ts)
}

// TranscriptForFailure returns [Server.Transcript] for a failure message
// and notes what it showed, so that a failing test shows each line once:
// a later call returns only the lines added since (after a line saying so),
// or a one-line reference to the earlier message when the dialogue has not
// gone on, and when the test of a server made by [NewServer] fails, its
// cleanup logs only what no failure message showed. Lines that only say a
// connection closed do not count as the dialogue going on. Assertion
// helpers (package assert, or a test's own) use it.
func (s *Server) TranscriptForFailure() string {
	text, news, before := s.takeUnshown()
	switch {
	case !before:
		return text
	case !news:
		return "(the same as in the failure message above)"
	}
	return "(the transcript in the failure message above, then:)\n" + text
}

// takeUnshown returns the lines of the transcripts that no call has taken
// yet, a connection's header before its first lines, and marks them
// shown. news is false when nothing was added but notes that a connection
// closed (those are then left out); before says whether lines were taken
// earlier. With no connection at all, it returns "no connections".
func (s *Server) takeUnshown() (text string, news, before bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	before = s.shown != nil
	if s.shown == nil {
		s.shown = make(map[*transcript]int64)
	}
	if len(s.transcripts) == 0 {
		return "no connections", false, before
	}
	var b []byte
	for _, t := range s.transcripts {
		from := s.shown[t]
		tail, size := t.since(from)
		s.shown[t] = size
		if len(tail) == 0 || (from > 0 && onlyCloses(tail)) {
			continue
		}
		news = true
		if len(b) > 0 {
			b = append(b, '\n')
		}
		if from == 0 {
			b = append(b, t.header()...)
		} else {
			b = append(b, "conn "...)
			b = strconv.AppendInt(b, int64(t.id), 10)
			b = append(b, ", continued:\n"...)
		}
		b = append(b, tail...)
	}
	return string(b), news, before
}

// onlyCloses reports whether the transcript lines in b only note that a
// connection closed.
func onlyCloses(b []byte) bool {
	for line := range bytes.Lines(b) {
		if !bytes.Contains(line, []byte(dirNote+"connection closed by ")) {
			return false
		}
	}
	return true
}

func joinTranscripts(ts []*transcript) string {
	if len(ts) == 0 {
		return "no connections"
	}
	var b strings.Builder
	for i, t := range ts {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(t.String())
	}
	return b.String()
}
