package lint

import (
	"bytes"
	"strings"
)

// The parser here is written for the linter rather than taken from
// go-message: a linter needs the raw bytes and their offsets (for Line),
// and must see what a forgiving parser repairs silently.

// field is one header field as written.
type field struct {
	name  string // as written
	key   string // lower case
	value []byte // unfolded: the CRLFs before continuation lines removed
	off   int    // offset of its first line in the data
}

// entity is a message or a MIME part: its header fields and where its body
// is in the data.
type entity struct {
	part      string
	fields    []field
	bodyStart int // == end when there is no body
	end       int
}

// get returns the fields with key (lower case).
func (e *entity) get(key string) []field {
	var out []field
	for _, f := range e.fields {
		if f.key == key {
			out = append(out, f)
		}
	}
	return out
}

// first returns the value of the first field with key, and whether there
// is one.
func (e *entity) first(key string) (field, bool) {
	for _, f := range e.fields {
		if f.key == key {
			return f, true
		}
	}
	return field{}, false
}

// parseHeader reads the header section of the entity at data[start:end].
func (c *checker) parseHeader(start, end int, part string) *entity {
	e := &entity{part: part, bodyStart: end, end: end, fields: make([]field, 0, 8)}
	var longs, longOff int
	var longLine []byte
	for p := start; p < end; {
		lineEnd := end
		next := end
		if i := bytes.IndexByte(c.data[p:end], '\n'); i >= 0 {
			lineEnd, next = p+i, p+i+1
		}
		line := bytes.TrimSuffix(c.data[p:lineEnd], []byte("\r"))
		if len(line) == 0 { // the empty line: the body follows
			e.bodyStart = next
			break
		}
		if len(line) > 78 && len(line) <= 998 {
			if longs == 0 {
				longOff, longLine = p, line
			}
			longs++
		}
		switch {
		case line[0] == ' ' || line[0] == '\t':
			// A field's continuation lines are joined to it below, when
			// the field is read; here come only those after a line that
			// is no field (they continue the field before it, as readers
			// take them: amortized appends) or at the very start.
			if len(e.fields) == 0 {
				c.add("header/malformed", part, p, "the header begins with a continuation line: %s", quote(line))
			} else {
				f := &e.fields[len(e.fields)-1]
				f.value = append(f.value, line...)
			}
		default:
			colon := bytes.IndexByte(line, ':')
			if colon < 0 {
				c.add("header/malformed", part, p, "a header line without a colon (is the empty line before the body missing?): %s", quote(line))
				break
			}
			name := line[:colon]
			if trimmed := bytes.TrimRight(name, " \t"); len(trimmed) < len(name) && len(trimmed) > 0 {
				c.add("header/obsolete", part, p, "white space between the field name %s and its colon (obs-optional, RFC 5322 4.5): readers accept it, writers must not produce it", quote(trimmed))
				name = trimmed
			}
			if !validFieldName(name) {
				c.add("header/field-name", part, p, "field name %s is not printable ASCII without spaces", quote(name))
			}
			value := bytes.TrimLeft(line[colon+1:], " \t")
			// The continuation lines that follow, unfolded into the
			// value in one allocation (growing it line by line copied a
			// long folded field over and over).
			cont, contEnd, longsIn := c.continuation(part, next, end)
			if longsIn.count > 0 {
				if longs == 0 {
					longOff, longLine = longsIn.off, longsIn.line
				}
				longs += longsIn.count
			}
			// A field on one line is its bytes in the data, capped so
			// that an append copies (lint never writes to the data).
			v := value[:len(value):len(value)]
			if cont > 0 {
				v = make([]byte, 0, len(value)+cont)
				v = append(v, value...)
				for q := next; q < contEnd; {
					lineEnd, after := lineAt(c.data, q, end)
					v = append(v, bytes.TrimSuffix(c.data[q:lineEnd], []byte("\r"))...)
					q = after
				}
			}
			e.fields = append(e.fields, field{name: fieldName(name), key: fieldKey(name), value: v, off: p})
			next = contEnd
		}
		p = next
	}
	if longs > 0 {
		more := ""
		if longs > 1 {
			more = " (and " + itoa(longs-1) + " more)"
		}
		c.add("line/long", part, longOff, "header line of %d octets, more than 78 (fold it): %s%s", len(longLine), quote(longLine), more)
	}
	return e
}

// longLines counts the header lines over 78 octets of a stretch: how
// many, and the first.
type longLines struct {
	count, off int
	line       []byte
}

// lineAt returns where the line at p ends (its LF, or end) and where the
// next begins.
func lineAt(data []byte, p, end int) (lineEnd, next int) {
	if i := bytes.IndexByte(data[p:end], '\n'); i >= 0 {
		return p + i, p + i + 1
	}
	return end, end
}

// continuation reads the continuation lines from p (up to end): how many
// bytes they add to a value, where they end, and the long lines among
// them.
func (c *checker) continuation(part string, p, end int) (n, stop int, longs longLines) {
	for p < end {
		lineEnd, next := lineAt(c.data, p, end)
		line := bytes.TrimSuffix(c.data[p:lineEnd], []byte("\r"))
		if len(line) == 0 || (line[0] != ' ' && line[0] != '\t') {
			break
		}
		if len(bytes.Trim(line, " \t")) == 0 && !c.blankReported {
			c.add("header/obsolete", part, p, "a continuation line of only white space (obs-FWS, RFC 5322 4.2): readers accept it, writers must not produce it")
			c.blankReported = true
		}
		if len(line) > 78 && len(line) <= 998 {
			if longs.count == 0 {
				longs.off, longs.line = p, line
			}
			longs.count++
		}
		n += len(line)
		p = next
	}
	return n, p, longs
}

// knownKeys are the field names the rules look up, lower case: a field
// of one of these names gets the constant as its key (no allocation).
var knownKeys = []string{
	"date", "from", "sender", "reply-to", "to", "cc", "bcc", "message-id", "in-reply-to", "references", "subject",
	"mime-version", "content-type", "content-transfer-encoding", "content-disposition", "content-id", "content-description",
	"list-unsubscribe", "list-unsubscribe-post", "dkim-signature", "received", "return-path",
}

// knownNames are the usual spellings of knownKeys' names: a field
// written so gets the constant as its name (no allocation).
var knownNames = func() map[string]string {
	m := map[string]string{}
	for _, n := range []string{
		"Date", "From", "Sender", "Reply-To", "To", "Cc", "CC", "Bcc", "Message-ID", "Message-Id", "In-Reply-To",
		"References", "Subject", "MIME-Version", "Mime-Version", "Content-Type", "Content-Transfer-Encoding",
		"Content-Disposition", "Content-ID", "Content-Id", "Content-Description", "List-Unsubscribe",
		"List-Unsubscribe-Post", "DKIM-Signature", "Dkim-Signature", "Received", "Return-Path", "X-Mailer", "User-Agent",
	} {
		m[n] = n
	}
	return m
}()

// fieldName is a field name as written, as a string.
func fieldName(name []byte) string {
	if n, ok := knownNames[string(name)]; ok {
		return n
	}
	return string(name)
}

// fieldKey is the lower-case key of a field name.
func fieldKey(name []byte) string {
	name = bytes.TrimSpace(name)
	for _, k := range knownKeys {
		if len(k) == len(name) && bytes.EqualFold(name, []byte(k)) {
			return k
		}
	}
	return strings.ToLower(string(name))
}

func validFieldName(name []byte) bool {
	if len(name) == 0 {
		return false
	}
	for _, b := range name {
		if b < 33 || b > 126 {
			return false
		}
	}
	return true
}
