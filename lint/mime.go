package lint

import (
	"bytes"
	"mime"
	"strings"

	"github.com/emersion/go-message/charset"
)

// maxDepth bounds the nesting of parts, which keeps Check linear.
const maxDepth = 32

// checkEntity checks the entity (the message, or a part) at
// data[start:end], and its parts.
func (c *checker) checkEntity(start, end int, part string, depth int) {
	e := c.parseHeader(start, end, part)
	c.checkFieldBytes(e)
	if part == "" {
		c.top = e
		c.checkMessageHeader(e)
		c.checkLists(e)
		c.checkDKIM(e)
		c.checkMIMEVersion(e)
	}
	media, params := c.contentType(e)
	defer func() { c.lastMedia = media }() // for the multipart that holds e
	c.checkDisposition(e)
	if f, ok := e.first("content-id"); ok && !msgIDSyntax(f.value) {
		c.add("mime/content-id", part, f.off, "Content-ID %s is not of the form <left@right>", quote(f.value))
	}
	if _, ok := e.first("content-type"); ok && params == nil {
		return // the Content-Type did not parse: the body's structure is unknown
	}
	if strings.HasPrefix(media, "multipart/") {
		if depth >= maxDepth {
			c.add("mime/too-deep", part, start, "parts are nested deeper than %d levels", maxDepth)
			return
		}
		c.checkMultipart(e, media, params, depth)
		return
	}
	c.checkBody(e)
}

// checkMIMEVersion requires MIME-Version where MIME fields are used.
func (c *checker) checkMIMEVersion(e *entity) {
	if _, ok := e.first("mime-version"); ok {
		return
	}
	for _, key := range []string{"content-type", "content-transfer-encoding", "content-disposition"} {
		if f, ok := e.first(key); ok {
			c.add("mime/version-missing", "", f.off, "%s is a MIME field, and the message has no MIME-Version: 1.0", f.name)
			return
		}
	}
}

// contentType returns the media type of e (lower case; text/plain if it
// has none) and its parameters, reporting a malformed Content-Type and an
// unknown charset.
func (c *checker) contentType(e *entity) (string, map[string]string) {
	f, ok := e.first("content-type")
	if !ok {
		return "text/plain", nil
	}
	media, params, err := mime.ParseMediaType(string(f.value))
	if err != nil {
		c.add("mime/content-type-syntax", e.part, f.off, "Content-Type %s does not parse: %v", quote(f.value), err)
		return strings.ToLower(strings.TrimSpace(strings.Split(string(f.value), ";")[0])), nil
	}
	c.checkParams(e.part, f)
	if cs, ok := params["charset"]; ok && strings.HasPrefix(media, "text/") && !knownCharset(cs) {
		c.add("mime/charset-unknown", e.part, f.off, "charset %q is one readers may not know", cs)
	}
	return media, params
}

func knownCharset(name string) bool {
	switch strings.ToLower(name) {
	case "us-ascii", "utf-8", "utf8":
		return true
	}
	_, err := charset.Reader(name, strings.NewReader(""))
	return err == nil
}

// checkDisposition checks Content-Disposition's syntax and parameters.
func (c *checker) checkDisposition(e *entity) {
	f, ok := e.first("content-disposition")
	if !ok {
		return
	}
	if _, _, err := mime.ParseMediaType(string(f.value)); err != nil {
		c.add("mime/disposition-syntax", e.part, f.off, "Content-Disposition %s does not parse: %v", quote(f.value), err)
		return
	}
	c.checkParams(e.part, f)
}

// checkParams warns about encoded-words inside quoted parameters
// (filename="=?UTF-8?...?="): RFC 2047 5 forbids them, RFC 2231 is the
// way, and most readers decode them anyway.
func (c *checker) checkParams(part string, f field) {
	v := f.value
	for {
		i := bytes.IndexByte(v, '"')
		if i < 0 {
			return
		}
		j := bytes.IndexByte(v[i+1:], '"')
		if j < 0 {
			return
		}
		quoted := v[i+1 : i+1+j]
		if bytes.Contains(quoted, []byte("=?")) && bytes.Contains(quoted, []byte("?=")) {
			c.add("mime/param-encoded-word", part, f.off, "%s has an encoded-word inside a quoted parameter, %s; use RFC 2231 (name*=utf-8''...)", f.name, quote(quoted))
		} else if len(quoted) > 60 {
			c.add("mime/param-long", part, f.off, "%s has a parameter of %d characters, %s; split it with RFC 2231 continuations (name*0=...; name*1=...)", f.name, len(quoted), quote(quoted))
		}
		v = v[i+1+j+1:]
	}
}

// boundaryChars are the characters RFC 2046 5.1.1 allows in a boundary
// (besides letters and digits).
const boundaryChars = "'()+_,-./:=? "

func validBoundary(b string) bool {
	if len(b) == 0 || len(b) > 70 || b[len(b)-1] == ' ' {
		return false
	}
	for i := 0; i < len(b); i++ {
		ch := b[i]
		if !('a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || strings.IndexByte(boundaryChars, ch) >= 0) {
			return false
		}
	}
	return true
}

// checkMultipart splits a multipart body at its delimiters and checks
// each part.
func (c *checker) checkMultipart(e *entity, media string, params map[string]string, depth int) {
	ct, _ := e.first("content-type")
	boundary, ok := params["boundary"]
	if !ok {
		c.add("mime/boundary-missing", e.part, ct.off, "%s without a boundary parameter", media)
		return
	}
	if !validBoundary(boundary) {
		c.add("mime/boundary-syntax", e.part, ct.off, "boundary %q is not 1 to 70 letters, digits and '()+_,-./:=? (not ending in a space)", boundary)
	}
	delim := []byte("--" + boundary)
	var parts [][2]int // [start, end) of each part
	partStart, closed := -1, false
	inBody := false // the boundary-in-body problem was reported
	for p := e.bodyStart; p < e.end && !closed; {
		next := e.end
		if i := bytes.IndexByte(c.data[p:e.end], '\n'); i >= 0 {
			next = p + i + 1
		}
		line := bytes.TrimRight(c.data[p:next], "\r\n")
		if bytes.HasPrefix(line, delim) {
			rest := line[len(delim):]
			isClose := bytes.HasPrefix(rest, []byte("--"))
			if isClose {
				rest = rest[2:]
			}
			if len(bytes.Trim(rest, " \t")) == 0 { // transport padding allowed
				if partStart >= 0 {
					parts = append(parts, [2]int{partStart, precedingBreak(c.data, partStart, p)})
				}
				partStart, closed = next, isClose
			} else if !inBody {
				c.add("mime/boundary-in-body", e.part, p, "a line in the body starts with the boundary but is no delimiter: %s", quote(line))
				inBody = true
			}
		}
		p = next
	}
	switch {
	case partStart < 0:
		c.add("mime/no-parts", e.part, ct.off, "%s body has no delimiter line %s", media, quote(delim))
		return
	case !closed:
		c.add("mime/boundary-unclosed", e.part, ct.off, "%s body has no closing delimiter %s", media, quote(append(delim, '-', '-')))
		parts = append(parts, [2]int{partStart, e.end})
	}
	var kinds []string
	for i, pr := range parts {
		sub := itoa(i + 1)
		if e.part != "" {
			sub = e.part + "." + sub
		}
		c.checkEntity(pr[0], pr[1], sub, depth+1)
		kinds = append(kinds, c.lastMedia)
	}
	if media == "multipart/alternative" {
		plain, html := -1, -1
		for i, k := range kinds {
			switch k {
			case "text/plain":
				if plain < 0 {
					plain = i
				}
			case "text/html":
				if html < 0 {
					html = i
				}
			}
		}
		if plain >= 0 && html >= 0 && html < plain {
			c.add("mime/alternative-order", e.part, ct.off, "multipart/alternative has its text/html (part %d) before its text/plain (part %d); readers show the last part they can", html+1, plain+1)
		}
	}
}

// precedingBreak returns where the part that began at start ends, given
// the delimiter line at p: the CRLF (or LF) before a delimiter belongs to
// it.
func precedingBreak(data []byte, start, p int) int {
	end := p
	if end > start && data[end-1] == '\n' {
		end--
		if end > start && data[end-1] == '\r' {
			end--
		}
	}
	return end
}

// checkBody checks a leaf part's body against its transfer encoding.
func (c *checker) checkBody(e *entity) {
	cte := "7bit"
	var cteOff = -1
	if f, ok := e.first("content-transfer-encoding"); ok {
		cte, cteOff = strings.ToLower(strings.TrimSpace(string(f.value))), f.off
	}
	body := c.data[e.bodyStart:e.end]
	switch cte {
	case "base64":
		c.checkEncodedLines(e, body, "mime/base64", func(line []byte) int {
			for i, b := range line {
				if !('A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '+' || b == '/' || b == '=' || b == ' ' || b == '\t') {
					return i
				}
			}
			return -1
		})
	case "quoted-printable":
		c.checkEncodedLines(e, body, "mime/quoted-printable", badQPEscape)
	case "7bit":
		if i := firstNonASCII(body); i >= 0 {
			if c.cfg.eightBitMIME {
				c.add("body/8bit-undeclared", e.part, e.bodyStart+i, "8-bit bytes in a body labelled 7bit: %s; declare Content-Transfer-Encoding: 8bit", quote(lineAround(body, i)))
			} else {
				c.add("body/8bit", e.part, e.bodyStart+i, "8-bit bytes in a 7bit body sent without BODY=8BITMIME: %s; encode it (quoted-printable or base64)", quote(lineAround(body, i)))
			}
		}
	case "8bit", "binary":
		if i := firstNonASCII(body); i >= 0 && !c.cfg.eightBitMIME {
			c.add("body/8bit-without-8bitmime", e.part, e.bodyStart+i, "Content-Transfer-Encoding: %s body sent without BODY=8BITMIME: %s", cte, quote(lineAround(body, i)))
		}
	default:
		c.add("mime/encoding-unknown", e.part, cteOff, "Content-Transfer-Encoding %q is not 7bit, 8bit, binary, quoted-printable or base64", cte)
	}
}

// checkEncodedLines checks the lines of a base64 or quoted-printable body:
// at most 76 characters, and no byte bad says is wrong (it returns the
// index of one, or -1). Each rule is reported once.
func (c *checker) checkEncodedLines(e *entity, body []byte, rule string, bad func([]byte) int) {
	reportedLong, reportedBad := false, false
	for p := 0; p < len(body) && !(reportedLong && reportedBad); {
		next := len(body)
		if i := bytes.IndexByte(body[p:], '\n'); i >= 0 {
			next = p + i + 1
		}
		line := bytes.TrimRight(body[p:next], "\r\n")
		if len(line) > 76 && !reportedLong {
			c.add("mime/encoded-line-long", e.part, e.bodyStart+p, "a line of encoded data of %d characters, more than 76: %s", len(line), quote(line))
			reportedLong = true
		}
		if i := bad(line); i >= 0 && !reportedBad {
			c.add(rule, e.part, e.bodyStart+p, "malformed %s data at %s", strings.TrimPrefix(rule, "mime/"), quote(line[i:]))
			reportedBad = true
		}
		p = next
	}
}

// badQPEscape returns the index of an "=" in line that starts no valid
// escape (two hex digits, or a soft line break: "=" at the end, perhaps
// followed by white space), or -1.
func badQPEscape(line []byte) int {
	for i := 0; i < len(line); i++ {
		if line[i] != '=' {
			continue
		}
		if len(bytes.TrimRight(line[i+1:], " \t")) == 0 {
			return -1 // soft line break
		}
		if i+2 < len(line) && isHex(line[i+1]) && isHex(line[i+2]) {
			i += 2
			continue
		}
		return i
	}
	return -1
}

func isHex(b byte) bool {
	return '0' <= b && b <= '9' || 'A' <= b && b <= 'F' || 'a' <= b && b <= 'f'
}

// lineAround returns the line of body around index i.
func lineAround(body []byte, i int) []byte {
	start := bytes.LastIndexByte(body[:i], '\n') + 1
	end := len(body)
	if j := bytes.IndexByte(body[i:], '\n'); j >= 0 {
		end = i + j
	}
	return bytes.TrimRight(body[start:end], "\r")
}
