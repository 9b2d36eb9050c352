package lint

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// The grammar of structured header fields, written for the linter: RFC
// 5322 sections 3 and 4 (CFWS with nested comments, quoted strings and
// pairs, domain literals, groups, and the obsolete forms every reader
// must accept), RFC 2045 and 2046 (Content-Type, parameters, transfer
// encodings), RFC 2047 section 5 (where an encoded-word may stand), RFC
// 2231 (parameter continuations, charset and language) and RFC 2369 (the
// List- fields).
//
// It is hand-written rather than taken from net/mail, mime or go-message
// because those are readers, and a linter must see what a reader repairs
// or refuses: net/mail rejects comments the RFC calls "perfectly legal"
// and decodes encoded-words while it parses (so an unknown charset fails
// the address), mime.ParseMediaType rejects comments and accepts
// `Content-Type: text`, and none says which obsolete form it accepted.
// Each function here follows the RFC's ABNF, names the rule it applies,
// and reports what it found instead of repairing it.

// scan reads one field value (unfolded) by the RFC 5322 lexical rules.
type scan struct {
	s   []byte
	i   int
	err string // the first syntax error, for a person; "" if none

	// What the value uses that the grammar allows a reader but forbids a
	// writer (RFC 5322 4): the first few, named.
	obsolete []string
	// Encoded-words where RFC 2047 5 does not allow them.
	words []wordProblem

	lastDomain []byte  // the dot-atom domain domain() read last (not a literal)
	itemBuf    []item  // reused by items
	itemArr    [8]item // itemBuf's first backing array: most values have fewer
}

// wordProblem is an encoded-word where RFC 2047 5 forbids it.
type wordProblem struct {
	rule string // header/encoded-word-quoted, -adjacent or -specials
	text string
}

func newScan(v []byte) *scan { return &scan{s: v} }

func (p *scan) eof() bool { return p.i >= len(p.s) }

func (p *scan) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// fail records the first syntax error: what was expected, and where.
func (p *scan) fail(format string, args ...any) bool {
	if p.err == "" {
		p.err = fmt.Sprintf(format, args...) + " " + p.where()
	}
	return false
}

// where shows the position of the scan for a person.
func (p *scan) where() string {
	if p.eof() {
		return "at the end"
	}
	return "at " + quote(p.s[p.i:])
}

// obs notes an obsolete form (RFC 5322 4) by name, once.
func (p *scan) obs(name string) {
	for _, o := range p.obsolete {
		if o == name {
			return
		}
	}
	if len(p.obsolete) < 8 {
		p.obsolete = append(p.obsolete, name)
	}
}

func isWSP(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// isAtext reports an RFC 5322 atext character; octets over 127 count as
// UTF8-non-ascii (RFC 6532), whose use without SMTPUTF8 header/8bit
// reports.
func isAtext(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' ||
		strings.IndexByte("!#$%&'*+-/=?^_`{|}~", b) >= 0 || b >= 0x80
}

// cfws skips [CFWS]: white space and comments, which nest and hold
// quoted-pairs (RFC 5322 3.2.2). It reports whether it skipped anything,
// and fails on an unclosed comment.
func (p *scan) cfws() bool {
	start := p.i
	for !p.eof() {
		switch b := p.peek(); {
		case isWSP(b):
			p.i++
		case b == '(':
			if !p.comment() {
				return p.i > start
			}
		default:
			return p.i > start
		}
	}
	return p.i > start
}

// comment reads a comment at '(' (nested comments included).
func (p *scan) comment() bool {
	start := p.i
	depth := 0
	for !p.eof() {
		switch p.s[p.i] {
		case '\\':
			p.i += 2
			continue
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				p.i++
				return true
			}
		}
		p.i++
	}
	p.i = start
	p.fail("an unclosed comment")
	p.i = len(p.s)
	return false
}

// quoted reads a quoted-string at '"' and returns its content (quoted-
// pairs as written).
func (p *scan) quoted() ([]byte, bool) {
	start := p.i
	for p.i++; !p.eof(); p.i++ {
		switch p.s[p.i] {
		case '\\':
			p.i++
		case '"':
			p.i++
			return p.s[start+1 : p.i-1], true
		}
	}
	p.i = start
	p.fail("an unclosed quoted-string")
	p.i = len(p.s)
	return nil, false
}

// atom reads 1*atext, or an encoded-word taken whole (its Q text may hold
// specials that would otherwise end the atom: judged by the phrase).
func (p *scan) atom() []byte {
	start := p.i
	if w := encodedWordAt(p.s[p.i:]); w != nil {
		p.i += len(w)
	}
	for !p.eof() && isAtext(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// item is a word or a dot of a phrase, local-part or domain, as written.
type item struct {
	kind  byte // 'a' atom, 'q' quoted-string, '.' dot
	text  []byte
	space bool // CFWS before it
}

// items reads words and dots, with CFWS between them, up to the first
// other special (or the end).
func (p *scan) items() []item {
	if p.itemBuf == nil {
		p.itemBuf = p.itemArr[:0]
	}
	out := p.itemBuf[:0] // the caller is done with the last items when it asks for more
	for {
		sp := p.cfws()
		if p.err != "" {
			return out
		}
		switch b := p.peek(); {
		case b == '"':
			q, ok := p.quoted()
			if !ok {
				return out
			}
			out = append(out, item{'q', q, sp})
		case b == '.':
			p.i++
			out = append(out, item{'.', nil, sp})
		case !p.eof() && isAtext(b):
			out = append(out, item{'a', p.atom(), sp})
		default:
			p.itemBuf = out
			return out
		}
	}
}

// dotted reports whether items are word *("." word); strict when no CFWS
// stands between them and every word is an atom (dot-atom-text).
func dotted(items []item, wordsMayBeQuoted bool) (ok, strict bool) {
	if len(items) == 0 || len(items)%2 == 0 {
		return false, false
	}
	strict = true
	for i, it := range items {
		if (i%2 == 1) != (it.kind == '.') {
			return false, false
		}
		if it.kind == 'q' {
			if !wordsMayBeQuoted {
				return false, false
			}
			strict = strict && len(items) == 1
		}
		if i > 0 && it.space {
			strict = false
		}
	}
	return true, strict
}

// phrase judges items as a display-name or obs-phrase: words, and dots
// after the first word (obsolete), and the encoded-words among them (RFC
// 2047 5(3)).
func (p *scan) phrase(items []item) bool {
	if len(items) == 0 || items[0].kind == '.' {
		return p.fail("a phrase that does not start with a word")
	}
	for i, it := range items {
		switch it.kind {
		case '.':
			p.obs("a '.' in a phrase (obs-phrase; quote the display name)")
		case 'q':
			if w := encodedWordIn(it.text); w != nil {
				p.words = append(p.words, wordProblem{"header/encoded-word-quoted", "an encoded-word inside a quoted-string is not decoded by conforming readers: " + quote(it.text)})
			}
		case 'a':
			w := encodedWordIn(it.text)
			if w == nil {
				continue
			}
			glued := len(w) != len(it.text) ||
				(i > 0 && !it.space) ||
				(i+1 < len(items) && !items[i+1].space)
			if glued {
				p.words = append(p.words, wordProblem{"header/encoded-word-adjacent", "an encoded-word must be separated from the text beside it by white space: " + quote(phraseAround(items, i))})
				continue
			}
			if c, ok := qSpecial(w); ok {
				p.words = append(p.words, wordProblem{"header/encoded-word-specials", "a Q encoded-word in a phrase may hold only letters, digits and !*+-/=_ (encode " + strconv.QuoteRune(rune(c)) + " as =" + strings.ToUpper(strconv.FormatInt(int64(c), 16)) + "): " + quote(w)})
			}
		}
	}
	return true
}

// phraseAround shows the item i with its neighbours, for a message.
func phraseAround(items []item, i int) []byte {
	var b []byte
	for j := max(0, i-1); j <= min(len(items)-1, i+1); j++ {
		if j > max(0, i-1) && items[j].space {
			b = append(b, ' ')
		}
		switch items[j].kind {
		case '.':
			b = append(b, '.')
		case 'q':
			b = append(b, '"')
			b = append(b, items[j].text...)
			b = append(b, '"')
		default:
			b = append(b, items[j].text...)
		}
	}
	return b
}

// encodedWordIn returns the first encoded-word in b, or nil.
func encodedWordIn(b []byte) []byte {
	for {
		i := bytes.Index(b, []byte("=?"))
		if i < 0 {
			return nil
		}
		if w := encodedWordAt(b[i:]); w != nil {
			return w
		}
		b = b[i+2:]
	}
}

// qSpecial returns the first character of a Q encoded-word's text that
// RFC 2047 5(3) does not allow in a phrase, if w is Q-encoded.
func qSpecial(w []byte) (byte, bool) {
	parts := bytes.SplitN(w[2:len(w)-2], []byte("?"), 3)
	if len(parts) != 3 || !bytes.EqualFold(parts[1], []byte("q")) {
		return 0, false
	}
	for _, c := range parts[2] {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!*+-/=_", c) >= 0) {
			return c, true
		}
	}
	return 0, false
}

// localPart reads the items before '@' as a local-part: dot-atom,
// quoted-string, or obs-local-part (words and dots with CFWS).
func (p *scan) localPart(items []item) bool {
	ok, strict := dotted(items, true)
	if !ok {
		return p.fail("a local-part that is not words separated by single dots")
	}
	if !strict {
		p.obs("comments, white space or quoted words between the dots of a local-part (obs-local-part)")
	}
	return true
}

// domain reads a domain after '@': dot-atom, domain-literal, or
// obs-domain (atoms and dots with CFWS).
func (p *scan) domain() bool {
	if p.cfws(); p.peek() == '[' {
		for p.i++; !p.eof(); p.i++ {
			switch c := p.s[p.i]; c {
			case '\\':
				p.obs("a quoted-pair in a domain literal (obs-dtext)")
				p.i++
			case ']':
				p.i++
				p.cfws()
				return true
			case '[':
				return p.fail("a '[' inside a domain literal")
			}
		}
		return p.fail("an unclosed domain literal")
	}
	items := p.items()
	ok, strict := dotted(items, false)
	if !ok {
		if len(items) == 0 {
			return p.fail("a missing domain after '@'")
		}
		return p.fail("a domain that is not atoms separated by single dots")
	}
	if !strict {
		p.obs("comments or white space between the dots of a domain (obs-domain)")
	}
	p.lastDomain = p.lastDomain[:0]
	for _, it := range items {
		if it.kind == '.' {
			p.lastDomain = append(p.lastDomain, '.')
		} else {
			p.lastDomain = append(p.lastDomain, it.text...)
		}
	}
	return true
}

// addresses is what an address field holds.
type addresses struct {
	mailboxes int // mailboxes, counting those in groups
	groups    int
}

// addressList parses an address-list (RFC 5322 3.4), with the null
// members of the obsolete lists (4.4). The caller judges what a field
// allows (a mailbox-list has no groups, Sender one mailbox) from the
// counts.
func (p *scan) addressList() addresses {
	var a addresses
	for {
		p.cfws()
		if p.err != "" {
			return a
		}
		if p.eof() {
			break
		}
		if p.peek() == ',' {
			p.obs("an empty member of an address list (obs-addr-list)")
			p.i++
			continue
		}
		if !p.address(&a) {
			return a
		}
		p.cfws()
		if p.eof() {
			break
		}
		if p.peek() != ',' {
			p.fail("expected ',' between addresses")
			return a
		}
		p.i++
	}
	return a
}

// address parses one mailbox (name-addr or addr-spec) or, when groups
// are allowed, a group.
func (p *scan) address(a *addresses) bool {
	items := p.items()
	if p.err != "" {
		return false
	}
	switch p.peek() {
	case '<':
		if len(items) > 0 && !p.phrase(items) {
			return false
		}
		if !p.angleAddr() {
			return false
		}
		a.mailboxes++
		return true
	case '@':
		if !p.localPart(items) {
			return false
		}
		p.i++
		if !p.domain() {
			return false
		}
		a.mailboxes++
		return true
	case ':':
		if len(items) == 0 {
			return p.fail("a group without a display name")
		}
		if !p.phrase(items) {
			return false
		}
		p.i++
		a.groups++ // the caller says why a group is wrong where it is
		for {
			p.cfws()
			if p.err != "" {
				return false
			}
			switch p.peek() {
			case ';':
				p.i++
				p.cfws()
				return true
			case ',':
				p.obs("an empty member of a group (obs-group-list)")
				p.i++
				continue
			case 0:
				if p.eof() {
					return p.fail("a group without its closing ';'")
				}
			}
			g := a.groups
			if !p.address(a) {
				return false
			}
			if a.groups > g {
				return p.fail("a group inside a group")
			}
			p.cfws()
			if p.peek() == ',' {
				p.i++
			} else if p.peek() != ';' {
				return p.fail("expected ',' or ';' in a group")
			}
		}
	}
	if len(items) == 0 {
		return p.fail("expected an address")
	}
	return p.fail("expected '<', '@' or ':' after %s", quote(phraseAround(items, len(items)-1)))
}

// angleAddr reads "<" [obs-route] addr-spec ">" at '<'.
func (p *scan) angleAddr() bool {
	p.i++
	p.cfws()
	if p.peek() == '@' || p.peek() == ',' {
		// obs-route: obs-domain-list ":"
		p.obs("a source route in an angle address (obs-route)")
		for {
			p.cfws()
			switch p.peek() {
			case ',':
				p.i++
				continue
			case '@':
				p.i++
				if !p.domain() {
					return false
				}
				continue
			case ':':
				p.i++
			default:
				return p.fail("a source route without its ':'")
			}
			break
		}
	}
	if p.cfws(); p.peek() == '>' {
		return p.fail("an empty angle address")
	}
	items := p.items()
	if p.err != "" {
		return false
	}
	if p.peek() != '@' {
		return p.fail("an address without '@'")
	}
	if !p.localPart(items) {
		return false
	}
	p.i++
	if !p.domain() {
		return false
	}
	return p.closeAngle("the address")
}

// closeAngle reads the '>' that closes what (an address, a msg-id) and
// the CFWS after it.
func (p *scan) closeAngle(what string) bool {
	if p.peek() != '>' {
		return p.fail("expected '>' to close %s", what)
	}
	p.i++
	p.cfws()
	return true
}

// msgID reads a msg-id: [CFWS] "<" id-left "@" id-right ">" [CFWS] (RFC
// 5322 3.6.4), with obs-id-left and obs-id-right (4.5.4).
func (p *scan) msgID() bool {
	p.cfws()
	if p.peek() != '<' {
		return p.fail("expected '<' to open a msg-id")
	}
	p.i++
	items := p.items()
	if p.err != "" {
		return false
	}
	if p.peek() != '@' {
		return p.fail("a msg-id without '@'")
	}
	ok, strict := dotted(items, true)
	if !ok {
		return p.fail("an id-left that is not words separated by single dots")
	}
	if !strict {
		p.obs("comments, white space or quoted words in a msg-id's id-left (obs-id-left)")
	}
	p.i++
	if p.peek() == '[' { // no-fold-literal
		end := bytes.IndexByte(p.s[p.i:], ']')
		if end < 0 {
			return p.fail("an unclosed literal in a msg-id")
		}
		p.i += end + 1
	} else {
		start := len(p.obsolete)
		if !p.domain() {
			return false
		}
		if len(p.obsolete) > start {
			p.obsolete[start] = "comments or white space in a msg-id's id-right (obs-id-right)"
		}
	}
	return p.closeAngle("the msg-id")
}

// msgIDList reads In-Reply-To or References: 1*msg-id, or the obsolete
// *(phrase / msg-id) (RFC 5322 4.5.4).
func (p *scan) msgIDList() bool {
	for {
		p.cfws()
		if p.err != "" {
			return false
		}
		if p.eof() {
			return true
		}
		if p.peek() == '<' {
			if !p.msgID() {
				return false
			}
			continue
		}
		items := p.items()
		if p.err != "" {
			return false
		}
		if len(items) == 0 || items[0].kind == '.' {
			return p.fail("expected a msg-id")
		}
		p.obs("words beside the msg-ids (obs-in-reply-to, obs-references)")
	}
}

// unstructuredWords checks the encoded-words of an unstructured field
// (Subject, Comments, Content-Description): each must stand alone between
// white space (RFC 2047 5(1)).
func unstructuredWords(v []byte) []wordProblem {
	var out []wordProblem
	for _, tok := range bytes.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == '\t' }) {
		w := encodedWordIn(tok)
		if w == nil || len(w) == len(tok) {
			continue
		}
		out = append(out, wordProblem{"header/encoded-word-adjacent", "an encoded-word must be separated from the text beside it by white space: " + quote(tok)})
		if len(out) == 3 {
			break
		}
	}
	return out
}
