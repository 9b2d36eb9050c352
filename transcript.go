package smtptest

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Limits of a connection's transcript. A long session keeps its first
// transcriptHead bytes and its latest ones, about transcriptLimit in all;
// a marker line says how much was left out between them.
const (
	transcriptLimit = 256 << 10
	transcriptHead  = 4 << 10
	maxLineShown    = 512 // longer lines are cut, with their length noted
)

// transcript is the record of one connection's dialogue: both directions
// in plain text (after TLS), AUTH secrets masked, message data summarized
// by its size and first bytes. It is one append-only buffer so that
// recording a line costs one append.
type transcript struct {
	mu      sync.Mutex // guards the fields below
	start   time.Time
	buf     []byte
	headEnd int   // end of the kept head; 0 until something was left out
	omitted int64 // bytes left out after the head
	written int64 // bytes ever added: grows with the dialogue, never shrinks
}

func newTranscript(id int, remote, local string, start time.Time) *transcript {
	t := &transcript{start: start}
	t.buf = make([]byte, 0, 512)
	t.buf = append(t.buf, "conn "...)
	t.buf = strconv.AppendInt(t.buf, int64(id), 10)
	t.buf = append(t.buf, ": "...)
	t.buf = append(t.buf, remote...)
	t.buf = append(t.buf, " -> "...)
	t.buf = append(t.buf, local...)
	t.buf = append(t.buf, " at "...)
	t.buf = start.AppendFormat(t.buf, "15:04:05.000000")
	t.buf = append(t.buf, '\n')
	return t
}

// Directions of transcript lines.
const (
	dirClient = "C: "
	dirServer = "S: "
	dirNote   = "-- "
)

// add appends one line. line must not include its line ending.
func (t *transcript) add(dir string, line []byte) {
	t.mu.Lock()
	n := len(t.buf)
	t.buf = appendElapsed(t.buf, time.Since(t.start))
	t.buf = append(t.buf, dir...)
	t.buf = appendEscaped(t.buf, line)
	t.buf = append(t.buf, '\n')
	t.written += int64(len(t.buf) - n)
	if len(t.buf) > transcriptLimit {
		t.trim()
	}
	t.mu.Unlock()
}

// size returns how many bytes were ever added to t.
func (t *transcript) size() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.written
}

// note appends a line of the transcript's own (dirNote).
func (t *transcript) note(s string) {
	t.add(dirNote, []byte(s))
}

// omittedMarker is overwritten in place as more is left out, so its width
// is fixed.
const omittedMarker = "            ... 0000000000 bytes of transcript omitted ...\n"

// trim leaves out the older half of what follows the head. t.mu is held.
func (t *transcript) trim() {
	if t.headEnd == 0 {
		head := transcriptHead
		if i := bytes.IndexByte(t.buf[head:], '\n'); i >= 0 {
			head += i + 1
		}
		t.buf = append(t.buf[:head], append([]byte(omittedMarker), t.buf[head:]...)...)
		t.headEnd = head + len(omittedMarker)
	}
	cut := t.headEnd + (len(t.buf)-t.headEnd)/2
	if i := bytes.IndexByte(t.buf[cut:], '\n'); i >= 0 {
		cut += i + 1
	}
	t.omitted += int64(cut - t.headEnd)
	t.buf = append(t.buf[:t.headEnd], t.buf[cut:]...)
	count := strconv.FormatInt(t.omitted, 10)
	field := t.buf[t.headEnd-len(omittedMarker)+16 : t.headEnd-len(omittedMarker)+26]
	for i := range field {
		field[i] = ' '
	}
	copy(field[len(field)-min(len(count), len(field)):], count)
}

func (t *transcript) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// appendElapsed appends d as a right-aligned "   12.345ms " column.
func appendElapsed(b []byte, d time.Duration) []byte {
	us := int64(d / time.Microsecond)
	ms := strconv.FormatInt(us/1000, 10)
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
// TLS. AUTH secrets are masked, and message data appears as its size and
// first bytes. A server made by [NewServer] logs it when its test fails.
func (s *Server) Transcript() string {
	s.mu.Lock()
	ts := slices.Clone(s.transcripts)
	s.mu.Unlock()
	return joinTranscripts(ts)
}

// TranscriptForFailure returns [Server.Transcript] for a failure message
// and notes that it was shown, so that a failing test shows it once: when
// the dialogue has not gone on since the last call, it returns a one-line
// reference to the earlier message instead, and when the test of a server
// made by [NewServer] fails, the cleanup logs the transcript only if the
// dialogue went on after the last call. Assertion helpers (package assert,
// or a test's own) use it.
func (s *Server) TranscriptForFailure() string {
	s.mu.Lock()
	ts := slices.Clone(s.transcripts)
	size := transcriptsSize(ts)
	unchanged := s.shown > 0 && s.shown == size
	s.shown = size
	s.mu.Unlock()
	if unchanged {
		return "(the same as in the failure message above)"
	}
	return joinTranscripts(ts)
}

// transcriptShown reports whether the whole dialogue so far was shown by
// TranscriptForFailure.
func (s *Server) transcriptShown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shown > 0 && s.shown == transcriptsSize(s.transcripts)
}

func transcriptsSize(ts []*transcript) int64 {
	var n int64
	for _, t := range ts {
		n += t.size()
	}
	return n
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
