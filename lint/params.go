package lint

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The MIME structured fields (RFC 2045 5.1, RFC 2183 2) and their
// parameters (RFC 2231), read by the grammar of grammar.go: comments may
// stand between any two tokens (RFC 2045 5.1's own example is
// `text/plain; charset=us-ascii (Plain text)`).

// param is one parameter as written.
type param struct {
	name    string // as written, "title*1*"
	attr    string // lower case, without the section and '*'
	section int    // -1 when it is no continuation
	ext     bool   // ends in '*': an RFC 2231 extended value
	value   []byte // without the quotes
	quoted  bool
}

// mimeField is a parsed Content-Type or Content-Disposition.
type mimeField struct {
	value  string  // "type/subtype", or the disposition type; lower case
	params []param // as written
	// decoded holds each parameter's value, its continuations joined and
	// its extended value percent-decoded (the octets; no charset
	// conversion). Names are lower case.
	decoded map[string]string
	// problems are the RFC 2231 defects found (mime/param-syntax).
	problems []string
	// extended holds the names given in RFC 2231 form (name* or
	// name*0...): a plain name= beside one is the fallback RFC 2231
	// readers skip and old readers use.
	extended map[string]bool
}

// isTokenChar reports an RFC 2045 token character: US-ASCII without
// SPACE, CTLs and tspecials.
func isTokenChar(b byte) bool {
	return b > 32 && b < 127 && strings.IndexByte(`()<>@,;:\"/[]?=`, b) < 0
}

// token reads an RFC 2045 token.
func (p *scan) token() string {
	start := p.i
	for !p.eof() && isTokenChar(p.s[p.i]) {
		p.i++
	}
	return string(p.s[start:p.i])
}

// mimeField parses `type "/" subtype *(";" parameter)` (subtype true) or
// `disposition-type *(";" parameter)`, with CFWS between the tokens. A
// ';' with nothing after it is accepted: RFC 2183's own example ends in
// one, and every reader takes it.
func (p *scan) mimeField(subtype bool) (mimeField, bool) {
	var f mimeField
	p.cfws()
	t := p.token()
	if t == "" {
		return f, p.fail("expected a type")
	}
	f.value = strings.ToLower(t)
	if subtype {
		p.cfws()
		if p.peek() != '/' {
			return f, p.fail("type %q without a subtype: expected '/' and a subtype", t)
		}
		p.i++
		p.cfws()
		st := p.token()
		if st == "" {
			return f, p.fail("expected a subtype after %q", t+"/")
		}
		f.value += "/" + strings.ToLower(st)
	}
	for {
		p.cfws()
		if p.err != "" {
			return f, false
		}
		if p.eof() {
			break
		}
		if p.peek() != ';' {
			return f, p.fail("expected ';' before a parameter")
		}
		p.i++
		p.cfws()
		if p.eof() || p.peek() == ';' {
			continue
		}
		name := p.token()
		if name == "" {
			return f, p.fail("expected a parameter name")
		}
		p.cfws()
		if p.peek() != '=' {
			return f, p.fail("parameter %q without '=' and a value", name)
		}
		p.i++
		p.cfws()
		pr := param{name: name, section: -1}
		if p.peek() == '"' {
			q, ok := p.quoted()
			if !ok {
				return f, false
			}
			pr.value, pr.quoted = q, true
		} else {
			v := p.token()
			if v == "" {
				return f, p.fail("parameter %q without a value (a value with tspecials such as '=' or '/' must be quoted)", name)
			}
			pr.value = []byte(v)
		}
		pr.attr, pr.section, pr.ext = splitParamName(name)
		f.params = append(f.params, pr)
	}
	f.decode()
	return f, true
}

// plainParams reports whether f's parameters are all plain (no RFC 2231
// section or extended value) and no attribute is given twice: nothing
// for decode to join, decode or report.
func (f *mimeField) plainParams() bool {
	for i, pr := range f.params {
		if pr.ext || pr.section != -1 {
			return false
		}
		for _, before := range f.params[:i] {
			if before.attr == pr.attr {
				return false
			}
		}
	}
	return true
}

// splitParamName splits an RFC 2231 name, "title*1*", into its attribute,
// section (-1 if none; -2 if not a valid section number) and whether the
// value is extended.
func splitParamName(name string) (attr string, section int, ext bool) {
	name = strings.ToLower(name)
	if strings.HasSuffix(name, "*") {
		ext = true
		name = name[:len(name)-1]
	}
	section = -1
	if i := strings.LastIndexByte(name, '*'); i >= 0 {
		num := name[i+1:]
		name = name[:i]
		n, err := strconv.Atoi(num)
		// section := "0" / [1-9] *DIGIT (RFC 2231 7)
		if err != nil || n < 0 || (len(num) > 1 && num[0] == '0') || strings.ContainsAny(num, "+-") {
			section = -2
		} else {
			section = n
		}
	}
	return name, section, ext
}

// decode joins continuations and decodes extended values (RFC 2231 3, 4),
// noting what the RFC forbids.
func (f *mimeField) decode() {
	if f.plainParams() {
		// The usual field (charset=..., boundary=..., filename=...): its
		// values as written, without the bookkeeping of continuations.
		// (Never nil: contentType's callers take nil for "does not parse".)
		f.decoded = make(map[string]string, len(f.params))
		for _, pr := range f.params {
			f.decoded[pr.attr] = string(pr.value)
		}
		return
	}
	f.decoded = map[string]string{}
	f.extended = map[string]bool{}
	type group struct {
		plain    *param
		sections map[int]*param
	}
	groups := map[string]*group{}
	var order []string
	for i := range f.params {
		pr := &f.params[i]
		g := groups[pr.attr]
		if g == nil {
			g = &group{sections: map[int]*param{}}
			groups[pr.attr] = g
			order = append(order, pr.attr)
		}
		if pr.ext || pr.section >= 0 {
			f.extended[pr.attr] = true
		}
		if pr.ext && pr.quoted {
			f.problems = append(f.problems, fmt.Sprintf("%s is an extended value in quotes: RFC 2231 writes it unquoted, %s=charset'lang'percent-encoded", pr.name, pr.name))
		}
		switch {
		case pr.section == -2:
			f.problems = append(f.problems, fmt.Sprintf("%s has a section number that is not 0 or a number without leading zeros", pr.name))
		case pr.section >= 0:
			if g.sections[pr.section] != nil {
				f.problems = append(f.problems, fmt.Sprintf("section %d of %s is given twice", pr.section, pr.attr))
			}
			g.sections[pr.section] = pr
		case pr.ext:
			if g.sections[0] != nil {
				f.problems = append(f.problems, fmt.Sprintf("%s is given twice", pr.name))
			}
			g.sections[0] = pr // name* is name*0*: one section
		default:
			if g.plain != nil {
				f.problems = append(f.problems, fmt.Sprintf("parameter %s is given twice", pr.name))
			}
			g.plain = pr
		}
	}
	for _, attr := range order {
		g := groups[attr]
		if g.plain != nil {
			f.decoded[attr] = string(g.plain.value)
		}
		if len(g.sections) == 0 {
			continue
		}
		nums := make([]int, 0, len(g.sections))
		for n := range g.sections {
			nums = append(nums, n)
		}
		slices.Sort(nums)
		var b strings.Builder
		for i, n := range nums {
			pr := g.sections[n]
			if n != i {
				f.problems = append(f.problems, fmt.Sprintf("the sections of %s are not numbered 0, 1, 2 ... without a gap (section %d is missing)", attr, i))
				break
			}
			v := pr.value
			if pr.ext { // quoted or not (quoted is reported above): read as RFC 2231 readers do
				if i == 0 {
					// extended-initial-value := [charset] "'" [language] "'" ...
					parts := strings.SplitN(string(v), "'", 3)
					if len(parts) != 3 {
						f.problems = append(f.problems, fmt.Sprintf("%s=%s lacks the charset'language' prefix of an extended value", pr.name, quote(v)))
						break
					}
					v = []byte(parts[2])
				}
				dec, ok := percentDecode(v)
				if !ok {
					f.problems = append(f.problems, fmt.Sprintf("%s=%s has a '%%' not followed by two hex digits, or a character that must be percent-encoded", pr.name, quote(pr.value)))
				}
				v = dec
			}
			b.Write(v)
		}
		f.decoded[attr] = b.String()
	}
}

// percentDecode decodes the %XX of an extended value; ok is false on a
// malformed escape or a character outside attribute-char.
func percentDecode(v []byte) ([]byte, bool) {
	out := make([]byte, 0, len(v))
	ok := true
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '%' && i+2 < len(v) && isHex(v[i+1]) && isHex(v[i+2]):
			n, _ := strconv.ParseUint(string(v[i+1:i+3]), 16, 8)
			out = append(out, byte(n))
			i += 2
		case c == '%' || c == '*' || c == '\'' || !isTokenChar(c):
			ok = false
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	return out, ok
}
