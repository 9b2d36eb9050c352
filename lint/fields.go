package lint

import (
	"bytes"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// The fields bulk mail carries beside List-Unsubscribe: List-Id (RFC
// 2919), Auto-Submitted (RFC 3834) and Gmail's Feedback-ID.

// checkListID checks List-Id: once, and [phrase] "<" list-label "."
// namespace ">" (RFC 2919 2), the id a dot-atom-text.
func (c *checker) checkListID(e *entity) {
	ids := e.get("list-id")
	if len(ids) > 1 {
		c.add("list/list-id-syntax", "", ids[1].off, "List-Id appears %d times; a message has at most one (RFC 2919 2)", len(ids))
	}
	if len(ids) > 0 && !listIDSyntax(ids[0].value) {
		c.add("list/list-id-syntax", "", ids[0].off, "List-Id %s is not [phrase] <list-label.namespace> (RFC 2919 2): the id in angle brackets, a dot-atom with at least one dot", quote(ids[0].value))
	}
}

// listIDSyntax reports whether v is a List-Id value.
func listIDSyntax(v []byte) bool {
	p := newScan(v)
	p.cfws()
	if p.peek() != '<' {
		for _, it := range p.items() { // the phrase: words, and the dots of obs-phrase
			if it.kind == '.' && !p.eof() {
				p.obs("a '.' in a phrase (obs-phrase)")
			}
		}
		p.cfws()
	}
	if p.err != "" || p.peek() != '<' {
		return false
	}
	end := bytes.IndexByte(p.s[p.i:], '>')
	if end < 0 {
		return false
	}
	id := p.s[p.i+1 : p.i+end]
	p.i += end + 1
	p.cfws()
	return p.eof() && p.err == "" && dotAtomText(id) && bytes.IndexByte(id, '.') > 0
}

// dotAtomText reports whether b is 1*atext *("." 1*atext).
func dotAtomText(b []byte) bool {
	if len(b) == 0 || b[0] == '.' || b[len(b)-1] == '.' || bytes.Contains(b, []byte("..")) {
		return false
	}
	for _, ch := range b {
		if ch != '.' && !isAtext(ch) {
			return false
		}
	}
	return true
}

// checkAutoSubmitted checks Auto-Submitted: once, a keyword ("no",
// "auto-generated", "auto-replied" or an extension token) and optional
// parameters (RFC 3834 5).
func (c *checker) checkAutoSubmitted(e *entity) {
	fs := e.get("auto-submitted")
	if len(fs) > 1 {
		c.add("header/auto-submitted-syntax", "", fs[1].off, "Auto-Submitted appears %d times; RFC 3834 5 allows one", len(fs))
	}
	if len(fs) == 0 {
		return
	}
	p := newScan(fs[0].value)
	p.cfws()
	if kw := p.token(); kw == "" {
		p.fail("expected a keyword: no, auto-generated, auto-replied")
	}
	for p.err == "" {
		p.cfws()
		if p.eof() {
			break
		}
		if p.peek() != ';' {
			p.fail("expected ';' before a parameter")
			break
		}
		p.i++
		p.cfws()
		if p.token() == "" || p.peek() != '=' {
			p.fail("expected attribute=value")
			break
		}
		p.i++
		if p.peek() == '"' {
			p.quoted()
		} else if p.token() == "" {
			p.fail("expected a value")
		}
	}
	if p.err != "" {
		c.add("header/auto-submitted-syntax", "", fs[0].off, "Auto-Submitted %s does not parse (RFC 3834 5: no, auto-generated or auto-replied, then ; parameters): %s", quote(fs[0].value), p.err)
	}
}

// checkFeedbackID checks Gmail's Feedback-ID for a bulk sender: once,
// up to four colon-separated identifiers ending in the sender's
// ("a:b:c:SenderId"), and signed by one of the message's DKIM
// signatures (covered reports whether a signature's h= has a field).
func (c *checker) checkFeedbackID(e *entity, covered func(field string) bool) {
	fs := e.get("feedback-id")
	if len(fs) == 0 {
		return
	}
	if len(fs) > 1 {
		c.add("list/feedback-id", "", fs[1].off, "Feedback-ID appears %d times; Gmail reads one", len(fs))
	}
	v := strings.TrimSpace(string(fs[0].value))
	parts := strings.Split(v, ":")
	bad := len(parts) > 4 || parts[len(parts)-1] == "" || strings.ContainsAny(v, " \t")
	for _, r := range v {
		if r < '!' || r > '~' {
			bad = true
		}
	}
	if bad {
		c.add("list/feedback-id", "", fs[0].off, "Feedback-ID %s is not up to four identifiers a:b:c:SenderId, the last (the sender's) not empty, without spaces", quote(fs[0].value))
	}
	if covered != nil && !covered("Feedback-ID") {
		c.add("list/feedback-id", "", fs[0].off, "no DKIM signature signs Feedback-ID: Gmail counts it only when a DKIM signature of the sender covers it")
	}
}

// checkMailFromAlignment reports, for a bulk sender whose MAIL FROM is
// known ([MailFrom]), a MAIL FROM domain not aligned with the From
// domain (relaxed: the same organizational domain, RFC 7489 3.1.2): SPF
// then cannot pass DMARC for the message, and it rests on DKIM alone.
func (c *checker) checkMailFromAlignment(e *entity) {
	if !c.cfg.bulk || c.cfg.mailFrom == "" {
		return
	}
	_, envDomain, ok := strings.Cut(c.cfg.mailFrom, "@")
	if !ok {
		return
	}
	f, ok := e.first("from")
	if !ok {
		return
	}
	p := newScan(f.value)
	a := p.addressList()
	if p.err != "" || a.mailboxes != 1 || a.groups != 0 || len(p.lastDomain) == 0 {
		return // no single From domain: other rules say so
	}
	from := strings.ToLower(string(p.lastDomain))
	envDomain = strings.ToLower(strings.TrimSuffix(envDomain, "."))
	if organization(envDomain) != organization(from) {
		c.add("dmarc/spf-not-aligned", "", f.off, "the MAIL FROM domain %s is not aligned with the From domain %s: SPF cannot pass DMARC for this mail, only an aligned DKIM signature can (use a return path under %s)", envDomain, from, organization(from))
	}
}

// organization is the organizational domain of d (RFC 7489 3.2): the
// public suffix and one label more.
func organization(d string) string {
	org, err := publicsuffix.EffectiveTLDPlusOne(d)
	if err != nil {
		return d
	}
	return org
}
