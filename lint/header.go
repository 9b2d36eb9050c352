package lint

import (
	"bytes"
	"encoding/binary"
	"io"
	"mime"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
)

// onceFields may appear at most once (RFC 5322 3.6).
var onceFields = [...]string{"date", "from", "sender", "reply-to", "to", "cc", "bcc", "message-id", "in-reply-to", "references", "subject"}

// addressFields hold addresses (RFC 5322 3.6.2, 3.6.3, 3.6.6): what each
// may hold.
var addressFields = map[string]struct {
	mailboxList bool // mailbox-list or mailbox: no groups
	one         bool // exactly one mailbox
	mayBeEmpty  bool // Bcc: [address-list / CFWS]
}{
	"from": {mailboxList: true}, "sender": {mailboxList: true, one: true},
	"reply-to": {}, "to": {}, "cc": {}, "bcc": {mayBeEmpty: true},
	"resent-from": {mailboxList: true}, "resent-sender": {mailboxList: true, one: true},
	"resent-to": {}, "resent-cc": {}, "resent-bcc": {mayBeEmpty: true},
}

// unstructuredFields are unstructured (RFC 5322 3.6.5, RFC 2045 8): an
// encoded-word there stands between white space (RFC 2047 5(1)).
var unstructuredFields = map[string]bool{"subject": true, "comments": true, "content-description": true}

// checkMessageHeader applies RFC 5322's rules for the message's own
// header (not those of MIME parts).
func (c *checker) checkMessageHeader(e *entity) {
	if _, ok := e.first("date"); !ok {
		c.add("header/date-missing", "", -1, "the message has no Date field")
	}
	if _, ok := e.first("from"); !ok {
		c.add("header/from-missing", "", -1, "the message has no From field")
	}
	var seen [len(onceFields)]struct {
		n      int
		name   string
		second int // the offset of the second
	}
	for _, f := range e.fields {
		if i := slices.Index(onceFields[:], f.key); i >= 0 {
			if seen[i].n++; seen[i].n == 1 {
				seen[i].name = f.name
			} else if seen[i].n == 2 {
				seen[i].second = f.off
			}
		}
	}
	for _, d := range seen {
		if d.n > 1 {
			c.add("header/duplicate", "", d.second, "%d %s fields; at most one is allowed (Gmail rejects such mail)", d.n, d.name)
		}
	}
	_, hasSender := e.first("sender")
	for _, f := range e.fields {
		switch {
		case f.key == "date" || f.key == "resent-date":
			c.checkDate(f)
		case f.key == "message-id" || f.key == "resent-message-id":
			p := newScan(f.value)
			if p.msgID() && !p.eof() {
				p.fail("a second msg-id, or text after the first")
			}
			if p.err != "" {
				c.add("header/message-id-syntax", "", f.off, "%s %s is not one msg-id, <id-left@id-right>: %s", f.name, quote(f.value), p.err)
			}
			c.obsolete(f, p)
		case f.key == "in-reply-to" || f.key == "references":
			p := newScan(f.value)
			if !p.msgIDList() {
				c.add("header/references-syntax", "", f.off, "%s %s is not a list of msg-ids, <id-left@id-right>: %s", f.name, quote(f.value), p.err)
			}
			c.obsolete(f, p)
		case unstructuredFields[f.key]:
			for _, w := range unstructuredWords(f.value) {
				c.add(w.rule, "", f.off, "%s: %s", f.name, w.text)
			}
		}
		kind, ok := addressFields[f.key]
		if !ok {
			continue
		}
		p := newScan(f.value)
		a := p.addressList()
		for _, w := range p.words {
			c.add(w.rule, "", f.off, "%s: %s", f.name, w.text)
		}
		switch {
		case p.err != "":
			c.add("header/address-syntax", "", f.off, "%s %s does not parse as addresses: %s", f.name, quote(f.value), p.err)
		case a.mailboxes+a.groups == 0 && !kind.mayBeEmpty:
			c.add("header/address-empty", "", f.off, "%s is empty: it needs at least one %s", f.name, map[bool]string{true: "mailbox", false: "address"}[kind.mailboxList])
		case kind.mailboxList && a.groups > 0:
			c.add("header/originator-syntax", "", f.off, "%s %s holds a group: it is a %s, without groups (RFC 5322 3.6.2)", f.name, quote(f.value), map[bool]string{true: "single mailbox", false: "mailbox-list"}[kind.one])
		case kind.one && a.mailboxes > 1:
			c.add("header/originator-syntax", "", f.off, "%s %s holds %d mailboxes: it is one mailbox, the one agent that sent the message (RFC 5322 3.6.2)", f.name, quote(f.value), a.mailboxes)
		case f.key == "from" && a.mailboxes > 1 && !hasSender:
			c.add("header/sender-missing", "", f.off, "From has %d mailboxes and there is no Sender (Gmail rejects several From addresses)", a.mailboxes)
		}
		c.obsolete(f, p)
	}
	if _, ok := e.first("message-id"); !ok {
		c.add("header/message-id-missing", "", -1, "the message has no Message-ID (a SHOULD of RFC 5322 3.6.4, but Gmail rejects mail without one from bulk senders; a submission server may add one)")
	}
}

// checkDate checks a Date or Resent-Date (RFC 5322 3.3).
func (c *checker) checkDate(f field) {
	p := newScan(f.value)
	d, ok := p.dateTime()
	switch {
	case !ok:
		c.add("header/date-syntax", "", f.off, "%s %s is not an RFC 5322 date-time such as \"Mon, 02 Jan 2006 15:04:05 -0700\": %s", f.name, quote(f.value), p.err)
	case d.weekdayWant != "":
		c.add("header/date-weekday", "", f.off, "%s %s says %s, but %s is a %s", f.name, quote(f.value), d.weekday, d, d.weekdayWant)
	}
	c.obsolete(f, p)
}

// obsolete reports the obsolete forms the scan of f met (RFC 5322 4).
func (c *checker) obsolete(f field, p *scan) {
	if len(p.obsolete) > 0 && p.err == "" {
		c.add("header/obsolete", "", f.off, "%s %s uses the obsolete syntax of RFC 5322 4, which readers accept and writers must not produce: %s", f.name, quote(f.value), strings.Join(p.obsolete, "; "))
	}
}

// msgIDSyntax reports whether v is one msg-id (RFC 5322 3.6.4, with the
// obsolete forms).
func msgIDSyntax(v []byte) bool {
	p := newScan(v)
	return p.msgID() && p.eof()
}

// checkFieldBytes checks the raw bytes and encoded-words of every field
// of e.
func (c *checker) checkFieldBytes(e *entity) {
	for _, f := range e.fields {
		if i := firstNonASCII(f.value); i >= 0 {
			switch {
			case !c.cfg.smtputf8:
				c.add("header/8bit", e.part, f.off, "%s has raw non-ASCII bytes %s; encode it (RFC 2047) or send over SMTPUTF8", f.name, quote(f.value[max(0, i-10):]))
			case !utf8.Valid(f.value):
				c.add("header/invalid-utf8", e.part, f.off, "%s is not valid UTF-8: %s", f.name, quote(f.value))
			}
		}
		if f.key == "content-type" || f.key == "content-disposition" {
			continue // parameters: see checkParams
		}
		c.checkEncodedWords(e.part, f)
	}
}

// checkEncodedWords checks the RFC 2047 encoded-words of f: at most 75
// characters each, and decodable.
func (c *checker) checkEncodedWords(part string, f field) {
	v := f.value
	for {
		i := bytes.Index(v, []byte("=?"))
		if i < 0 {
			return
		}
		w := encodedWordAt(v[i:])
		if w == nil {
			v = v[i+2:]
			continue
		}
		v = v[i+len(w):]
		if len(w) > 75 {
			c.add("header/encoded-word-long", part, f.off, "%s has an encoded-word of %d characters, more than 75: %s", f.name, len(w), quote(w))
		}
		if _, err := wordDecoder.Decode(withoutLanguage(w)); err != nil {
			if strings.Contains(err.Error(), "charset") {
				c.add("header/encoded-word-charset", part, f.off, "%s has an encoded-word in an unknown charset: %s", f.name, quote(w))
			} else {
				c.add("header/encoded-word-syntax", part, f.off, "%s has an encoded-word that does not decode (%v): %s", f.name, err, quote(w))
			}
		}
	}
}

// withoutLanguage returns the encoded-word w without the language of its
// charset ("=?US-ASCII*EN?Q?...?=", RFC 2231 5), which Go's decoder does
// not know.
func withoutLanguage(w []byte) string {
	q := bytes.IndexByte(w[2:], '?')
	if q < 0 {
		return string(w)
	}
	cs := w[2 : 2+q]
	if star := bytes.IndexByte(cs, '*'); star >= 0 {
		return "=?" + string(cs[:star]) + string(w[2+q:])
	}
	return string(w)
}

// encodedWordAt returns the encoded-word "=?charset?e?text?=" at the start
// of b, or nil if b does not start with one.
func encodedWordAt(b []byte) []byte {
	if !bytes.HasPrefix(b, []byte("=?")) {
		return nil
	}
	q, last := 0, 1 // the '?'s seen, and where the last one was
	for i := 2; i < len(b); i++ {
		switch b[i] {
		case ' ', '\t':
			return nil
		case '?':
			if q < 2 && i == last+1 {
				return nil // an empty charset or encoding: "=????=" is text, not a word (RFC 2047 2: both are tokens)
			}
			q, last = q+1, i
			if q == 3 {
				if i+1 < len(b) && b[i+1] == '=' {
					return b[:i+2]
				}
				return nil
			}
		}
	}
	return nil
}

// wordDecoder decodes RFC 2047 words in the charsets go-message knows.
var wordDecoder = &mime.WordDecoder{CharsetReader: func(name string, r io.Reader) (io.Reader, error) {
	return charset.Reader(name, r)
}}

// firstNonASCII returns the index of the first byte of b over 127, or -1.
// It tests eight bytes at a time (most data is ASCII).
func firstNonASCII(b []byte) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 != 0 {
			break
		}
	}
	for ; i < len(b); i++ {
		if b[i] >= 0x80 {
			return i
		}
	}
	return -1
}

func itoa(n int) string { return strconv.Itoa(n) }
