package lint

import (
	"bytes"
	"net/url"
	"strings"
)

// checkLists checks List-Unsubscribe and List-Unsubscribe-Post (RFC 2369,
// RFC 8058), and with BulkSender requires one-click unsubscription.
func (c *checker) checkLists(e *entity) {
	lu, hasLU := e.first("list-unsubscribe")
	post, hasPost := e.first("list-unsubscribe-post")
	https := false
	if hasLU {
		uris, err := uriList(lu.value, false)
		if err != "" {
			c.add("list/unsubscribe-syntax", "", lu.off, "List-Unsubscribe %s is not a list of <URI>s: %s", quote(lu.value), err)
		}
		for _, u := range uris {
			if u.Scheme == "https" {
				https = true
			}
		}
	}
	for _, f := range e.fields {
		switch f.key {
		case "list-help", "list-subscribe", "list-post", "list-owner", "list-archive":
			if _, err := uriList(f.value, f.key == "list-post"); err != "" {
				c.add("list/syntax", "", f.off, "%s %s is not a list of <URI>s: %s", f.name, quote(f.value), err)
			}
		}
	}
	if hasPost {
		if !hasLU {
			c.add("list/unsubscribe-post-alone", "", post.off, "List-Unsubscribe-Post without List-Unsubscribe")
		}
		if strings.TrimSpace(string(post.value)) != "List-Unsubscribe=One-Click" {
			c.add("list/unsubscribe-post-syntax", "", post.off, "List-Unsubscribe-Post is %s, not \"List-Unsubscribe=One-Click\"", quote(post.value))
		}
	}
	if !c.cfg.bulk {
		return
	}
	switch {
	case !hasLU:
		c.add("list/unsubscribe-missing", "", -1, "no List-Unsubscribe: Gmail and Yahoo require one-click unsubscription of bulk mail")
	case !https || !hasPost:
		c.add("list/one-click-missing", "", lu.off, "List-Unsubscribe %s needs an https URI and a List-Unsubscribe-Post: List-Unsubscribe=One-Click field for one-click unsubscription", quote(lu.value))
	}
}

// uriList parses the value of an RFC 2369 field: <URI>s separated by
// commas, with comments and white space around them (3.2's own example is
// "(Use this command to get off the list) <mailto:...>"); white space
// inside the brackets is ignored (RFC 2369 2). orNo allows List-Post's
// "NO". It returns the URIs, and what is wrong ("" if nothing).
func uriList(v []byte, orNo bool) ([]*url.URL, string) {
	p := newScan(v)
	var out []*url.URL
	for {
		p.cfws()
		if p.err != "" {
			return out, p.err
		}
		if p.eof() {
			break
		}
		if orNo && len(out) == 0 {
			save := p.i
			if t := p.token(); strings.EqualFold(t, "no") {
				if p.cfws(); p.eof() {
					return out, p.err
				}
			}
			p.i = save
		}
		if p.peek() != '<' {
			return out, "expected '<' to open a URI " + p.where()
		}
		end := bytes.IndexByte(p.s[p.i:], '>')
		if end < 0 {
			return out, "a '<' without its '>' " + p.where()
		}
		raw := bytes.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, p.s[p.i+1:p.i+end])
		u, err := url.Parse(string(raw))
		if err != nil || u.Scheme == "" {
			return out, "<" + string(raw) + "> is not an absolute URI"
		}
		out = append(out, u)
		p.i += end + 1
		p.cfws()
		if p.eof() {
			break
		}
		if p.peek() != ',' {
			return out, "expected ',' between URIs " + p.where()
		}
		p.i++
	}
	if len(out) == 0 {
		return out, "no URI"
	}
	return out, ""
}
