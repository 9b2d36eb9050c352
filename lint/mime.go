package lint

import (
	"bytes"
	"slices"
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
		c.checkListID(e)
		c.checkAutoSubmitted(e)
		c.checkMailFromAlignment(e)
		c.checkDKIM(e)
		c.checkMIMEVersion(e)
	}
	media, params := c.contentType(e)
	defer func() { c.lastMedia = media }() // for the multipart that holds e
	if _, ok := e.first("content-location"); ok {
		c.located = true // MHTML (RFC 2557): relative URLs resolve against it
	} else if _, ok := e.first("content-base"); ok {
		c.located = true
	}
	c.checkDisposition(e)
	if f, ok := e.first("content-id"); ok && !msgIDSyntax(f.value) {
		c.add("mime/content-id", part, f.off, "Content-ID %s is not of the form <left@right>", quote(f.value))
	}
	if _, ok := e.first("content-type"); ok && params == nil {
		return // the Content-Type did not parse: the body's structure is unknown
	}
	cte := c.transferEncoding(e)
	c.checkCompositeEncoding(e, media, cte)
	if strings.HasPrefix(media, "multipart/") {
		if depth >= maxDepth {
			c.add("mime/too-deep", part, start, "parts are nested deeper than %d levels", maxDepth)
			return
		}
		if media == "multipart/alternative" {
			c.alternative++
			defer func() { c.alternative-- }()
		}
		c.checkMultipart(e, media, params, depth)
		return
	}
	c.checkBody(e, cte)
	if cte.ok {
		c.leaves = append(c.leaves, leaf{part: part, media: media, cte: cte, disposition: dispositionOf(e),
			contentID: contentIDOf(e), bodyStart: e.bodyStart, end: e.end, alternative: c.alternative > 0})
	}
}

// dispositionOf is e's Content-Disposition type, lower case ("" if none).
func dispositionOf(e *entity) string {
	f, ok := e.first("content-disposition")
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(string(f.value), ";")
	return strings.ToLower(strings.TrimSpace(v))
}

// contentIDOf is e's Content-ID without its brackets, lower case.
func contentIDOf(e *entity) string {
	f, ok := e.first("content-id")
	if !ok {
		return ""
	}
	return strings.ToLower(strings.Trim(strings.TrimSpace(string(f.value)), "<>"))
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
// has none) and its parameters (decoded, RFC 2231), reporting a malformed
// Content-Type and an unknown charset. The parameters are nil when the
// Content-Type does not parse.
func (c *checker) contentType(e *entity) (string, map[string]string) {
	f, ok := e.first("content-type")
	if !ok {
		return "text/plain", nil
	}
	p := newScan(f.value)
	mf, ok := p.mimeField(true)
	if !ok {
		c.add("mime/content-type-syntax", e.part, f.off, "Content-Type %s does not parse: %s", quote(f.value), p.err)
		p := newScan(f.value)
		p.cfws()
		t := p.token()
		return strings.ToLower(t), nil
	}
	c.checkParams(e.part, f, &mf)
	if cs, ok := mf.decoded["charset"]; ok && strings.HasPrefix(mf.value, "text/") && !knownCharset(cs) {
		c.add("mime/charset-unknown", e.part, f.off, "charset %q is one readers may not know", cs)
	}
	return mf.value, mf.decoded
}

func knownCharset(name string) bool {
	switch strings.ToLower(name) {
	case "us-ascii", "utf-8", "utf8":
		return true
	}
	_, err := charset.Reader(name, strings.NewReader(""))
	return err == nil
}

// checkDisposition checks Content-Disposition's syntax and parameters
// (RFC 2183 2).
func (c *checker) checkDisposition(e *entity) {
	f, ok := e.first("content-disposition")
	if !ok {
		return
	}
	p := newScan(f.value)
	mf, ok := p.mimeField(false)
	if !ok {
		c.add("mime/disposition-syntax", e.part, f.off, "Content-Disposition %s does not parse: %s", quote(f.value), p.err)
		return
	}
	c.checkParams(e.part, f, &mf)
}

// checkParams judges the parameters of a Content-Type or
// Content-Disposition: RFC 2231's rules (mime/param-syntax), encoded-words
// inside quoted values (RFC 2047 5 forbids them; most readers decode
// them), and long quoted values without an RFC 2231 form (a boundary may
// be 70 characters, and a plain name= beside its RFC 2231 form is the
// fallback that RFC asks for).
func (c *checker) checkParams(part string, f field, mf *mimeField) {
	for _, pr := range mf.params {
		if !pr.quoted {
			continue
		}
		switch {
		case encodedWordIn(pr.value) != nil:
			c.add("mime/param-encoded-word", part, f.off, "%s has an encoded-word inside a quoted parameter, %s=%s; use RFC 2231 (%s*=utf-8''...)", f.name, pr.name, quote(pr.value), pr.attr)
		case len(pr.value) > 60 && pr.attr != "boundary" && pr.section < 0 && !mf.extended[pr.attr]:
			c.add("mime/param-long", part, f.off, "%s has a parameter of %d characters, %s; split it with RFC 2231 continuations (name*0=...; name*1=...)", f.name, len(pr.value), quote(pr.value))
		}
	}
	for _, text := range mf.problems {
		c.add("mime/param-syntax", part, f.off, "%s: %s", f.name, text)
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

// encoding is a part's Content-Transfer-Encoding.
type encoding struct {
	mechanism string // lower case; "7bit" when there is no field
	labelled  bool   // the part has the field
	off       int    // the field's offset, or -1
	ok        bool   // the field parses
}

// transferEncoding reads e's Content-Transfer-Encoding: [CFWS] mechanism
// [CFWS] (RFC 2045 6.1; comments allowed as in every structured field).
func (c *checker) transferEncoding(e *entity) encoding {
	f, ok := e.first("content-transfer-encoding")
	if !ok {
		return encoding{mechanism: "7bit", off: -1, ok: true}
	}
	p := newScan(f.value)
	p.cfws()
	tok := p.token()
	p.cfws()
	enc := encoding{mechanism: strings.ToLower(tok), labelled: true, off: f.off, ok: true}
	if tok == "" || !p.eof() || p.err != "" {
		c.add("mime/encoding-unknown", e.part, f.off, "Content-Transfer-Encoding %s is not one mechanism (7bit, 8bit, binary, quoted-printable, base64 or an x- token)", quote(f.value))
		enc.ok = false
	}
	return enc
}

// checkCompositeEncoding: a multipart or message entity is not itself
// encoded (RFC 2045 6.4, RFC 2046 5.2.1 to 5.2.3).
func (c *checker) checkCompositeEncoding(e *entity, media string, cte encoding) {
	if !cte.ok {
		return
	}
	only := ""
	switch {
	case media == "message/partial" || media == "message/external-body":
		if cte.mechanism != "7bit" {
			only = "7bit"
		}
	case strings.HasPrefix(media, "multipart/") || strings.HasPrefix(media, "message/"):
		if cte.mechanism != "7bit" && cte.mechanism != "8bit" && cte.mechanism != "binary" {
			only = "7bit, 8bit or binary"
		}
	}
	if only != "" {
		c.add("mime/composite-encoding", e.part, cte.off, "%s is encoded %s; a composite type may only be %s (encode its parts instead)", media, cte.mechanism, only)
	}
}

// checkBody checks a leaf part's body against its transfer encoding.
func (c *checker) checkBody(e *entity, cte encoding) {
	if !cte.ok {
		return
	}
	body := c.data[e.bodyStart:e.end]
	switch cte.mechanism {
	case "base64":
		c.checkBase64(e, body)
	case "quoted-printable":
		c.checkQuotedPrintable(e, body)
	case "7bit":
		i := firstNonASCII(body)
		switch {
		case i < 0:
		case cte.labelled:
			// The label is wrong whatever MAIL said: a relay that must
			// downgrade to 7bit trusts it.
			c.add("body/8bit", e.part, e.bodyStart+i, "8-bit bytes in a body labelled Content-Transfer-Encoding: 7bit: %s; label it 8bit (with BODY=8BITMIME) or encode it", quote(lineAround(body, i)))
		case c.cfg.eightBitMIME:
			c.add("body/8bit-undeclared", e.part, e.bodyStart+i, "8-bit bytes in a body without Content-Transfer-Encoding (7bit): %s; declare Content-Transfer-Encoding: 8bit", quote(lineAround(body, i)))
		default:
			c.add("body/8bit", e.part, e.bodyStart+i, "8-bit bytes in a 7bit body sent without BODY=8BITMIME: %s; encode it (quoted-printable or base64)", quote(lineAround(body, i)))
		}
	case "8bit", "binary":
		if i := firstNonASCII(body); i >= 0 && !c.cfg.eightBitMIME {
			c.add("body/8bit-without-8bitmime", e.part, e.bodyStart+i, "Content-Transfer-Encoding: %s body sent without BODY=8BITMIME: %s", cte.mechanism, quote(lineAround(body, i)))
		}
	default:
		if strings.HasPrefix(cte.mechanism, "x-") {
			c.add("mime/encoding-private", e.part, cte.off, "Content-Transfer-Encoding %q is a private encoding (RFC 2045 6.3): only readers that agreed on it can decode the part", cte.mechanism)
		} else {
			c.add("mime/encoding-unknown", e.part, cte.off, "Content-Transfer-Encoding %q is not 7bit, 8bit, binary, quoted-printable, base64 or an x- token", cte.mechanism)
		}
	}
}

// base64Class sorts bytes for checkBase64: 0 outside the alphabet, 1 in
// it, 2 the pad '=', 3 white space (ignored).
var base64Class = func() (t [256]uint8) {
	for _, b := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") {
		t[b] = 1
	}
	t['='] = 2
	t[' '], t['\t'], t['\r'], t['\n'] = 3, 3, 3, 3
	return t
}()

// checkBase64 checks base64 data in one pass (RFC 2045 6.8): lines of at
// most 76 characters, bytes of the alphabet, quanta of four characters
// with '=' padding, at most two, only at the end.
func (c *checker) checkBase64(e *entity, body []byte) {
	long := false
	bad := -1 // the first byte outside the alphabet
	n, pads, padAt, afterPad := 0, 0, -1, -1
	for p := 0; p < len(body); {
		end, next := len(body), len(body)
		if i := bytes.IndexByte(body[p:], '\n'); i >= 0 {
			end, next = p+i, p+i+1
		}
		if end > p && body[end-1] == '\r' {
			end--
		}
		line := body[p:end]
		if len(line) > 76 && !long {
			c.add("mime/encoded-line-long", e.part, e.bodyStart+p, "a line of encoded data of %d characters, more than 76: %s", len(line), quote(line))
			long = true
		}
		n += len(line)
		for j, b := range line {
			switch base64Class[b] {
			case 1:
			case 2:
				if pads == 0 {
					padAt = p + j
				}
				pads++
			case 3:
				n-- // white space
			default:
				n--
				if bad < 0 {
					bad = p + j
				}
			}
		}
		p = next
	}
	if pads > 0 {
		for i := padAt; i < len(body); i++ {
			if base64Class[body[i]] == 1 {
				afterPad = i
				break
			}
		}
	}
	switch {
	case bad >= 0:
		c.add("mime/base64", e.part, e.bodyStart+bad, "malformed base64 data, a byte outside the base64 alphabet: %s", quote(lineFrom(body, bad)))
	case afterPad >= 0:
		c.add("mime/base64", e.part, e.bodyStart+afterPad, "base64 data goes on after its '=' padding: %s", quote(lineAround(body, afterPad)))
	case pads > 2:
		c.add("mime/base64", e.part, e.bodyStart+padAt, "base64 data ends in %d '=', more than two: %s", pads, quote(lineAround(body, padAt)))
	case n%4 != 0:
		c.add("mime/base64", e.part, e.bodyStart+max(0, len(body)-1), "base64 data of %d characters, not a multiple of 4: the last quantum lacks its '=' padding or characters", n)
	}
}

// lineFrom returns the rest of body's line from index i.
func lineFrom(body []byte, i int) []byte {
	end := len(body)
	if j := bytes.IndexByte(body[i:], '\n'); j >= 0 {
		end = i + j
	}
	return bytes.TrimRight(body[i:end], "\r")
}

// checkQuotedPrintable checks the lines of a quoted-printable body: at
// most 76 characters, and nothing badQP finds wrong. Each kind of defect is
// reported once.
func (c *checker) checkQuotedPrintable(e *entity, body []byte) {
	reportedLong := false
	var reported []string
	for p := 0; p < len(body); {
		next := len(body)
		if i := bytes.IndexByte(body[p:], '\n'); i >= 0 {
			next = p + i + 1
		}
		line := bytes.TrimRight(body[p:next], "\r\n")
		if len(line) > 76 && !reportedLong {
			c.add("mime/encoded-line-long", e.part, e.bodyStart+p, "a line of encoded data of %d characters, more than 76: %s", len(line), quote(line))
			reportedLong = true
		}
		if i, what := badQP(line); i >= 0 && !slices.Contains(reported, what) {
			c.add("mime/quoted-printable", e.part, e.bodyStart+p, "malformed quoted-printable data, %s: %s", what, quote(line[i:]))
			reported = append(reported, what)
		}
		p = next
	}
}

// badQP finds what RFC 2045 6.7 forbids in a line of quoted-printable
// data: an "=" that starts no escape (two hex digits, or a soft line
// break), a raw 8-bit byte or control character (rules 1 and 2), and
// white space at the end of the line (rule 3).
func badQP(line []byte) (int, string) {
	for i := 0; i < len(line); i++ {
		switch b := line[i]; {
		case b == '=':
			if i+1 == len(line) {
				return -1, "" // soft line break
			}
			if i+2 < len(line) && isHex(line[i+1]) && isHex(line[i+2]) {
				i += 2
				continue
			}
			if len(bytes.TrimRight(line[i+1:], " \t")) == 0 {
				return i + 1, "white space at the end of a line"
			}
			return i, "an '=' that starts no escape"
		case b >= 0x80:
			return i, "a raw 8-bit byte (encode it as =XX)"
		case b < 32 && b != '\t':
			return i, "a raw control character (encode it as =XX)"
		}
	}
	if n := len(line); n > 0 && (line[n-1] == ' ' || line[n-1] == '\t') {
		return n - 1, "white space at the end of a line"
	}
	return -1, ""
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
