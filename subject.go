package smtptest

import "bytes"

// plainHeaderMax bounds the header plainSubject reads: under bufio's
// default buffer (4,096 bytes), so go-message's reader, which reads lines
// with bufio.Reader.ReadLine, never sees a line split in pieces.
const plainHeaderMax = 4000

// plainSubject is the decoded Subject of data, found without parsing
// the header, for the header most mail has: it ends in a blank line
// within the first plainHeaderMax bytes, every line of it ends in CRLF
// with no other CR or LF, every field name is valid, and the first
// Subject holds no encoded-word ("=?"). For such a header it answers
// what parseHeader and decodeSubject answer (FuzzPlainSubject holds it
// to that): the first Subject field's value, unfolded and trimmed as
// go-message's textproto.ReadHeader does, "" if there is none. For any
// other header ok is false and the caller parses. Summaries read the
// subject of every message this way: a parse costs ten times more.
func plainSubject(data []byte) (subject string, ok bool) {
	if bytes.HasPrefix(data, []byte("\r\n")) {
		return "", true // an empty header
	}
	end := bytes.Index(data[:min(len(data), plainHeaderMax)], []byte("\r\n\r\n"))
	if end < 0 || data[0] == ' ' || data[0] == '\t' {
		return "", false // no end in sight, or the reader's "initial line" error
	}
	h := data[:end+2] // its lines, each ending in CRLF
	var value []byte  // the first Subject's lines, from after the colon
	found := false
	for len(h) > 0 {
		// One field: a line, and the lines after it that start with
		// white space (continuations).
		n := fieldLen(h)
		if n < 0 {
			return "", false
		}
		field := h[:n]
		h = h[n:]
		first := field[:bytes.IndexByte(field, '\n')+1]
		colon := bytes.IndexByte(first, ':')
		if colon < 0 {
			return "", false // the reader's "malformed header line" error
		}
		key := trimSpaceTab(first[:colon])
		for _, c := range key {
			if c < 33 || c > 126 {
				return "", false // the reader's "malformed header key" error
			}
		}
		if !found && len(key) == len("Subject") && bytes.EqualFold(key, []byte("Subject")) {
			found, value = true, field[colon+1:]
		}
	}
	if !found {
		return "", true
	}
	// Unfold as the reader does: each line without its CRLF, trimmed of
	// spaces and tabs, the non-empty ones joined by one space.
	var b []byte
	for len(value) > 0 {
		i := bytes.IndexByte(value, '\n')
		line := trimSpaceTab(value[:i-1])
		value = value[i+1:]
		if len(line) == 0 {
			continue
		}
		if len(b) > 0 {
			b = append(b, ' ')
		}
		b = append(b, line...)
	}
	if bytes.Contains(b, []byte("=?")) {
		return "", false // an encoded-word, maybe: the decoder's business
	}
	return string(b), true
}

// fieldLen is the length of the field at the start of h: its first line
// and its continuation lines, each ending in CRLF; -1 if a line has a CR
// elsewhere or h ends without CRLF.
func fieldLen(h []byte) int {
	n := 0
	for {
		i := bytes.IndexByte(h[n:], '\n')
		if i < 1 || h[n+i-1] != '\r' || bytes.IndexByte(h[n:n+i-1], '\r') >= 0 {
			return -1
		}
		n += i + 1
		if n == len(h) || (h[n] != ' ' && h[n] != '\t') {
			return n
		}
	}
}

// trimSpaceTab is b without leading and trailing spaces and tabs (not
// other white space: go-message's trim).
func trimSpaceTab(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
