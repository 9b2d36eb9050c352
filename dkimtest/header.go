package dkimtest

import (
	"bytes"
	"errors"
	"strings"
)

// field is one header field as a DKIM verifier reads it: its lines, each
// ending in CRLF (a bare LF counts as one), folding kept.
type field struct {
	raw   string // "Name: value\r\n continued\r\n"
	lines int    // how many lines raw has
}

// name is the field's name: what precedes the colon (the whole field if
// there is none), surrounding space trimmed.
func (f field) name() string {
	name, _, _ := strings.Cut(f.raw, ":")
	return strings.TrimSpace(name)
}

// errNoBody says the data ended before the blank line after the header.
var errNoBody = errors.New("the message has no blank line after its header")

// splitMessage returns the header fields of data and the body after the
// blank line, reading lines as go-msgauth does (net/textproto: a line
// ends at LF, one CR before it is dropped; a line starting with a space or
// tab continues the field before it). It costs time linear in the header:
// each field is made once from its bytes, not grown line by line.
func splitMessage(data []byte) ([]field, []byte, error) {
	var fields []field
	start, lines, bareLF := -1, 0, 0 // the field being read: where it starts, its lines, its LFs without CR
	flush := func(end int) {
		if start >= 0 {
			fields = append(fields, field{raw: crlfLines(data[start:end], bareLF), lines: lines})
			start, lines, bareLF = -1, 0, 0
		}
	}
	for at := 0; at < len(data); {
		nl := bytes.IndexByte(data[at:], '\n')
		if nl < 0 {
			break
		}
		line, next := data[at:at+nl], at+nl+1
		cr := bytes.HasSuffix(line, []byte("\r"))
		if cr {
			line = line[:len(line)-1]
		}
		if len(line) == 0 {
			flush(at)
			return fields, data[next:], nil
		}
		if start < 0 || (line[0] != ' ' && line[0] != '\t') {
			flush(at)
			start = at
		}
		lines++
		if !cr {
			bareLF++
		}
		at = next
	}
	return fields, nil, errNoBody
}

// crlfLines returns b, lines ending in LF, with every line ending in CRLF
// (an LF without CR gets one, as go-msgauth reads it): one copy.
func crlfLines(b []byte, bareLF int) string {
	if bareLF == 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b)+bareLF)
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return string(out)
}

// value is the field's value: what follows the colon, unfolded lines
// kept, surrounding space trimmed.
func (f field) value() string {
	_, v, _ := strings.Cut(f.raw, ":")
	return strings.TrimSpace(v)
}

// parseTags reads a tag list (RFC 6376 3.2): "v=1; a=rsa-sha256; ...",
// tag names and values trimmed of surrounding white space.
func parseTags(s string) (map[string]string, error) {
	tags := map[string]string{}
	for _, spec := range strings.Split(s, ";") {
		name, value, ok := strings.Cut(spec, "=")
		name = strings.TrimSpace(name)
		if !ok {
			if strings.TrimSpace(spec) == "" {
				continue
			}
			return nil, errors.New("a tag without =: " + quote(spec))
		}
		if _, dup := tags[name]; dup {
			return nil, errors.New("tag " + name + "= given twice")
		}
		tags[name] = strings.TrimSpace(value)
	}
	return tags, nil
}

// splitList splits a colon-separated list (h=, q=) into its trimmed items.
func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ":") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// stripSpace removes folding white space (base64 values may be folded).
func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
}

// quote shows s for a person, cut to 60 bytes.
func quote(s string) string {
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return `"` + strings.TrimSpace(s) + `"`
}
