package lint

import (
	"bytes"
	"io"
	"mime"
	"net/mail"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
)

// onceFields may appear at most once (RFC 5322 3.6).
var onceFields = []string{"date", "from", "sender", "reply-to", "to", "cc", "bcc", "message-id", "in-reply-to", "references", "subject"}

// addressFields hold address lists (RFC 5322 3.6.2, 3.6.3).
var addressFields = []string{"from", "sender", "reply-to", "to", "cc", "bcc"}

// checkMessageHeader applies RFC 5322's rules for the message's own
// header (not those of MIME parts).
func (c *checker) checkMessageHeader(e *entity) {
	if _, ok := e.first("date"); !ok {
		c.add("header/date-missing", "", -1, "the message has no Date field")
	}
	if _, ok := e.first("from"); !ok {
		c.add("header/from-missing", "", -1, "the message has no From field")
	}
	for _, key := range onceFields {
		if fs := e.get(key); len(fs) > 1 {
			c.add("header/duplicate", "", fs[1].off, "%d %s fields; at most one is allowed (Gmail rejects such mail)", len(fs), fs[0].name)
		}
	}
	if f, ok := e.first("date"); ok {
		if _, err := mail.ParseDate(string(f.value)); err != nil {
			c.add("header/date-syntax", "", f.off, "Date %s is not an RFC 5322 date-time such as \"Mon, 02 Jan 2006 15:04:05 -0700\"", quote(f.value))
		}
	}
	parser := mail.AddressParser{WordDecoder: wordDecoder}
	for _, key := range addressFields {
		for _, f := range e.get(key) {
			list, err := parser.ParseList(string(f.value))
			switch {
			case err != nil && len(bytes.TrimSpace(f.value)) > 0:
				c.add("header/address-syntax", "", f.off, "%s %s does not parse as addresses: %v", f.name, quote(f.value), err)
			case key == "from" && len(list) > 1:
				if _, ok := e.first("sender"); !ok {
					c.add("header/sender-missing", "", f.off, "From has %d mailboxes and there is no Sender (Gmail rejects several From addresses)", len(list))
				}
			}
		}
	}
	if f, ok := e.first("message-id"); !ok {
		c.add("header/message-id-missing", "", -1, "the message has no Message-ID (a SHOULD of RFC 5322 3.6.4, but Gmail rejects mail without one from bulk senders; a submission server may add one)")
	} else if !msgIDSyntax(f.value) {
		c.add("header/message-id-syntax", "", f.off, "Message-ID %s is not of the form <left@right>", quote(f.value))
	}
}

// msgIDSyntax reports whether v is one msg-id, "<left@right>".
func msgIDSyntax(v []byte) bool {
	v = bytes.TrimSpace(v)
	if len(v) < 5 || v[0] != '<' || v[len(v)-1] != '>' {
		return false
	}
	left, right, ok := bytes.Cut(v[1:len(v)-1], []byte("@"))
	return ok && len(left) > 0 && len(right) > 0 && !bytes.ContainsAny(v[1:len(v)-1], " \t<>")
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
		if _, err := wordDecoder.Decode(string(w)); err != nil {
			if strings.Contains(err.Error(), "charset") {
				c.add("header/encoded-word-charset", part, f.off, "%s has an encoded-word in an unknown charset: %s", f.name, quote(w))
			} else {
				c.add("header/encoded-word-syntax", part, f.off, "%s has an encoded-word that does not decode (%v): %s", f.name, err, quote(w))
			}
		}
	}
}

// encodedWordAt returns the encoded-word "=?charset?e?text?=" at the start
// of b, or nil if b does not start with one.
func encodedWordAt(b []byte) []byte {
	if !bytes.HasPrefix(b, []byte("=?")) {
		return nil
	}
	q := 0
	for i := 2; i < len(b); i++ {
		switch b[i] {
		case ' ', '\t':
			return nil
		case '?':
			q++
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

func firstNonASCII(b []byte) int {
	for i, c := range b {
		if c >= 0x80 {
			return i
		}
	}
	return -1
}

func itoa(n int) string { return strconv.Itoa(n) }
