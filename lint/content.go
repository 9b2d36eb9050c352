package lint

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net/netip"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// The content rules judge what a message says rather than how it is
// written: its links, images and the HTML a reader's client will show.
// They read each text part decoded (base64, quoted-printable) as it
// would be shown; where the part is encoded, a problem's Line is the
// part's first body line.

// leaf is a part that is not multipart, as the content rules read it.
type leaf struct {
	part        string
	media       string // lower case
	cte         encoding
	disposition string // lower case: "inline", "attachment" or ""
	contentID   string // without <>, lower case; "" if none
	bodyStart   int
	end         int
	alternative bool // inside a multipart/alternative
}

// Limits of what the content rules read: an HTML part over
// maxContentBytes (decoded) is judged on its first maxContentBytes.
const (
	maxContentBytes = 4 << 20
	gmailClip       = 102 * 1024 // Gmail shows "[Message clipped]" past this much HTML
	maxMessageBytes = 25 << 20   // the size most providers refuse past (Gmail, Outlook.com)
)

// decoded is the body of l as a reader sees it (transfer encoding
// undone), at most maxContentBytes of it, and whether offsets in it are
// offsets in the data (no transfer encoding to undo).
func (c *checker) decoded(l leaf) ([]byte, bool) {
	body := c.data[l.bodyStart:l.end]
	switch l.cte.mechanism {
	case "base64":
		clean := make([]byte, 0, len(body))
		for _, b := range body {
			if b != '\r' && b != '\n' && b != ' ' && b != '\t' {
				clean = append(clean, b)
			}
		}
		out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
		n, _ := base64.StdEncoding.Decode(out, clean)
		return out[:min(n, maxContentBytes)], false
	case "quoted-printable":
		out, _ := io.ReadAll(io.LimitReader(quotedprintable.NewReader(bytes.NewReader(body)), maxContentBytes))
		return out, false
	}
	return body[:min(len(body), maxContentBytes)], true
}

// checkContent applies the content rules to the leaves the walk found.
func (c *checker) checkContent() {
	if len(c.data) > maxMessageBytes {
		c.add("content/message-large", "", -1, "the message is %d MB: most providers (Gmail, Outlook.com) refuse mail over 25 MB", len(c.data)>>20)
	}
	if c.top != nil {
		if f, ok := c.top.first("subject"); ok {
			c.checkPlaceholders("", f.off, f.value, "the Subject")
		}
	}
	var texts, htmls []leaf
	ids := map[string]bool{}
	for _, l := range c.leaves {
		if l.contentID != "" {
			ids[l.contentID] = true
		}
		if l.disposition == "attachment" {
			continue
		}
		switch l.media {
		case "text/plain":
			texts = append(texts, l)
		case "text/html":
			htmls = append(htmls, l)
		}
	}
	if len(htmls) > 0 && len(texts) == 0 {
		c.add("content/html-only", htmls[0].part, htmls[0].bodyStart, "the message has HTML and no text/plain alternative: text-only readers, screen readers and spam filters get nothing to read")
	}
	var textLinks []string
	for _, l := range texts {
		body, raw := c.decoded(l)
		c.checkPlaceholders(l.part, l.bodyStart, body, "the text")
		for _, u := range textURLs(body) {
			off := l.bodyStart
			if raw {
				off += u.off
			}
			c.checkLink(l.part, off, u.url)
			textLinks = append(textLinks, u.url)
		}
	}
	used := map[string]bool{}
	var htmlLinks []string
	for _, l := range htmls {
		body, raw := c.decoded(l)
		h := c.readHTML(l, body, raw)
		for id := range h.cids {
			used[id] = true
		}
		htmlLinks = append(htmlLinks, h.links...)
		for _, ref := range h.cidRefs {
			if !ids[ref.id] {
				c.add("content/cid-missing", l.part, ref.off, "cid:%s names no part of the message (no part has Content-ID <%s>): the image shows broken", ref.id, ref.id)
			}
		}
	}
	for _, l := range c.leaves {
		if l.contentID != "" && l.disposition != "attachment" && strings.HasPrefix(l.media, "image/") && len(htmls) > 0 && !used[l.contentID] {
			c.add("content/cid-unused", l.part, l.bodyStart, "inline image <%s> is not referenced by the HTML (no cid:%s): some readers show it as an attachment, others not at all", l.contentID, l.contentID)
		}
	}
	if len(texts) == 1 && len(htmls) == 1 && texts[0].alternative && htmls[0].alternative {
		inHTML := map[string]bool{}
		for _, u := range htmlLinks {
			inHTML[normalLink(u)] = true
		}
		for _, u := range textLinks {
			if !inHTML[normalLink(u)] {
				c.add("content/links-differ", texts[0].part, texts[0].bodyStart, "the text alternative links to %s, which its HTML alternative does not: the two say different things", quote([]byte(u)))
				break
			}
		}
	}
}

// htmlFacts is what readHTML found in one HTML part.
type htmlFacts struct {
	links   []string // the href of each <a>, as written
	cids    map[string]bool
	cidRefs []cidRef
}

type cidRef struct {
	id  string
	off int
}

// readHTML reads an HTML part token by token, reporting what the content
// rules find, and returns its links and cid: references.
func (c *checker) readHTML(l leaf, body []byte, raw bool) htmlFacts {
	facts := htmlFacts{cids: map[string]bool{}}
	if len(body) > gmailClip {
		c.add("content/html-clipped", l.part, l.bodyStart, "the HTML is %d KB: Gmail clips HTML past 102 KB (\"[Message clipped]\"), and the unsubscribe link at its end with it", len(body)/1024)
	}
	offAt := func(pos int) int {
		if raw {
			return l.bodyStart + pos
		}
		return l.bodyStart
	}
	z := html.NewTokenizer(bytes.NewReader(body))
	pos := 0
	var used map[string]int // the caniemail detector's keys, where first seen: with Clients or HTMLFeatures
	if len(c.cfg.clients) > 0 || c.counts != nil {
		used = map[string]int{}
	}
	fact := func(k string, off int) {
		if used != nil {
			if _, ok := used[k]; !ok {
				used[k] = off
			}
			if c.counts != nil {
				c.counts[k]++
			}
		}
	}
	inStyle := false
	// A <base href> resolves relative links (RFC 2557 and HTML's own).
	c.relativeOK = c.located || indexBytesFold(body, "<base ") >= 0
	defer func() { c.relativeOK = false }()
	var (
		sawHTML, langOK bool
		inA             bool
		aHref           string
		aOff            int
		aText           strings.Builder
		text            int // characters of visible text
		images, pixels  int
		skip            int // inside script, style, head, title
		reported        = map[string]bool{}
	)
	once := func(rule string) bool {
		if reported[rule] {
			return false
		}
		reported[rule] = true
		return true
	}
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		tokOff := offAt(pos)
		pos += len(z.Raw())
		switch tt {
		case html.CommentToken:
			fact("html-comment", tokOff)
		case html.DoctypeToken:
			fact("doctype", tokOff)
		case html.TextToken:
			t := z.Text()
			if inStyle && used != nil {
				cssFacts(t, true, tokOff, used, c.counts)
			}
			if skip == 0 {
				text += len(bytes.TrimSpace(t))
				c.checkPlaceholders(l.part, tokOff, t, "the HTML")
				if inA {
					aText.Write(t)
				}
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			attrs := map[string]string{}
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				if _, dup := attrs[string(k)]; !dup {
					attrs[string(k)] = string(v)
				}
			}
			if tt == html.EndTagToken {
				switch tag {
				case "script", "style", "head", "title":
					skip = max(0, skip-1)
					inStyle = inStyle && tag != "style"
				case "a":
					if inA {
						c.checkLinkText(l.part, aOff, aHref, aText.String())
						inA = false
					}
				}
				continue
			}
			for _, v := range attrs {
				c.checkPlaceholders(l.part, tokOff, []byte(v), "an HTML attribute")
			}
			if used != nil {
				c.htmlFacts(tag, attrs, tokOff, fact)
				if st, ok := attrs["style"]; ok {
					cssFacts([]byte(st), false, tokOff, used, c.counts)
				}
				if tag == "style" && tt == html.StartTagToken {
					inStyle = true
				}
			}
			switch tag {
			case "html":
				sawHTML = true
				_, langOK = attrs["lang"]
			case "script", "style", "head", "title":
				if tt == html.StartTagToken {
					skip++
				}
				if tag == "script" && once("script") {
					c.add("content/unsafe-element", l.part, tokOff, "<script> in the HTML: every mail client removes it (and spam filters mark it)")
				}
			case "iframe", "object", "embed", "form":
				if once(tag) {
					c.add("content/unsafe-element", l.part, tokOff, "<%s> in the HTML: most mail clients remove it or show nothing", tag)
				}
			case "a":
				href, ok := attrs["href"]
				if ok {
					href = strings.TrimSpace(href)
					facts.links = append(facts.links, href)
					c.checkLink(l.part, tokOff, href)
					inA, aHref, aOff = true, href, tokOff
					aText.Reset()
				}
			case "img":
				images++
				src := strings.TrimSpace(attrs["src"])
				if _, ok := attrs["alt"]; !ok {
					if once("img-alt") {
						c.add("content/img-alt", l.part, tokOff, "<img src=%s> has no alt: readers that block images, and screen readers, show nothing for it", quote([]byte(src)))
					}
				}
				if attrs["width"] == "1" && attrs["height"] == "1" {
					pixels++
					if once("pixel") {
						c.add("content/tracking-pixel", l.part, tokOff, "a 1x1 image, %s: a tracking pixel (a fact: Apple Mail's privacy protection loads it for everyone, some filters count it against the mail)", quote([]byte(src)))
					}
				}
				if id, ok := cidOf(src); ok {
					facts.cids[id] = true
					facts.cidRefs = append(facts.cidRefs, cidRef{id, tokOff})
				} else if src != "" && !strings.HasPrefix(strings.ToLower(src), "data:") {
					c.checkLink(l.part, tokOff, src)
				}
			}
			if bg, ok := attrs["background"]; ok {
				if id, isCID := cidOf(bg); isCID {
					facts.cids[id] = true
					facts.cidRefs = append(facts.cidRefs, cidRef{id, tokOff})
				}
			}
		}
	}
	if inA {
		c.checkLinkText(l.part, aOff, aHref, aText.String())
	}
	if len(c.cfg.clients) > 0 {
		c.checkClients(l.part, used)
	}
	if sawHTML && !langOK {
		c.add("content/lang-missing", l.part, l.bodyStart, "<html> has no lang attribute: screen readers guess the language (WCAG 3.1.1)")
	}
	if images > pixels && text < 100 {
		c.add("content/image-only", l.part, l.bodyStart, "the HTML is %d image(s) and %d characters of text: with images blocked (the default of many clients) it says nothing, and filters distrust image-only mail", images-pixels, text)
	}
	return facts
}

// cidOf reads a cid: URL's Content-ID (unescaped, lower case).
func cidOf(src string) (string, bool) {
	if len(src) < 4 || !strings.EqualFold(src[:4], "cid:") {
		return "", false
	}
	id, err := url.PathUnescape(src[4:])
	if err != nil {
		id = src[4:]
	}
	return strings.ToLower(strings.Trim(id, "<>")), true
}

// checkLink reports what is wrong with a link of a part: where it
// leads (localhost, a private address, a reserved name), whether it can
// lead anywhere from a mail (relative, javascript:), and, with
// RequireHTTPS, http:.
func (c *checker) checkLink(part string, off int, link string) {
	if link == "" || strings.HasPrefix(link, "#") {
		return
	}
	u, err := url.Parse(link)
	if err != nil {
		return // lint's other rules do not judge URL syntax; a reader would not follow it either
	}
	switch strings.ToLower(u.Scheme) {
	case "":
		if !c.relativeOK {
			c.add("content/link-relative", part, off, "%s is a relative URL: a mail has no address to resolve it against (write it whole, https://...)", quote([]byte(link)))
		}
		return
	case "javascript", "vbscript":
		c.add("content/link-javascript", part, off, "%s: mail clients do not run scripts; the link does nothing (or is removed)", quote([]byte(link)))
		return
	case "http":
		if c.cfg.https {
			c.add("content/link-http", part, off, "%s is http: RequireHTTPS wants https", quote([]byte(link)))
		}
	case "https":
	default:
		return // mailto:, tel:, cid:, data: ... lead nowhere a host could be wrong
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "" || c.allowedHost(host) {
		return
	}
	if why := localHost(host); why != "" {
		c.add("content/link-local", part, off, "%s leads to %s: no reader can reach it (a test or staging address left in?)", quote([]byte(link)), why)
	}
}

// allowedHost reports whether AllowHosts lets host through.
func (c *checker) allowedHost(host string) bool {
	for _, h := range c.cfg.allowHosts {
		if host == h || (strings.HasPrefix(h, ".") && strings.HasSuffix(host, h)) || (strings.HasPrefix(h, "*.") && strings.HasSuffix(host, h[1:])) {
			return true
		}
	}
	return false
}

// localHost says why a reader of a mail cannot reach host, "" if it
// may: localhost, loopback, private, link-local, unspecified or
// multicast addresses, and the names RFC 2606 and RFC 6762 reserve
// (.test, .example, .invalid, .localhost, .local).
func localHost(host string) string {
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		ip = ip.Unmap()
		switch {
		case ip.IsLoopback():
			return "a loopback address"
		case ip.IsPrivate(), netip.MustParsePrefix("100.64.0.0/10").Contains(ip):
			return "a private address"
		case ip.IsLinkLocalUnicast():
			return "a link-local address"
		case ip.IsUnspecified(), ip.IsMulticast():
			return "an address no host has"
		}
		return ""
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return "localhost"
	}
	for _, tld := range []string{"test", "example", "invalid", "local"} {
		if host == tld || strings.HasSuffix(host, "."+tld) {
			return fmt.Sprintf("a name under .%s, which never resolves on the Internet", tld)
		}
	}
	return ""
}

// checkLinkText reports a link whose text shows a domain other than the
// one its href goes to (what phishing does; filters flag it).
func (c *checker) checkLinkText(part string, off int, href, text string) {
	shown := strings.TrimSpace(text)
	if shown == "" || strings.ContainsAny(shown, " \t\r\n") || !strings.Contains(shown, ".") {
		return
	}
	if !strings.Contains(shown, "://") {
		shown = "https://" + shown
	}
	su, err1 := url.Parse(shown)
	hu, err2 := url.Parse(href)
	if err1 != nil || err2 != nil || su.Hostname() == "" || hu.Hostname() == "" || !strings.Contains(su.Hostname(), ".") {
		return
	}
	sh := strings.TrimPrefix(strings.ToLower(su.Hostname()), "www.")
	hh := strings.TrimPrefix(strings.ToLower(hu.Hostname()), "www.")
	if sh == hh || strings.HasSuffix(hh, "."+sh) || strings.HasSuffix(sh, "."+hh) {
		return
	}
	c.add("content/link-text-mismatch", part, off, "a link shows %s but goes to %s: readers and filters take it for phishing", quote([]byte(strings.TrimSpace(text))), quote([]byte(hu.Hostname())))
}

// textURL is a URL found in a text part, with its offset there.
type textURL struct {
	url string
	off int
}

// textURLs finds the http and https URLs of a text body, without the
// punctuation that ends a sentence or closes a bracket after them.
func textURLs(body []byte) []textURL {
	var out []textURL
	for i := 0; i < len(body); {
		j := indexBytesFold(body[i:], "http")
		if j < 0 {
			break
		}
		start := i + j
		rest := body[start:]
		var n int
		switch {
		case len(rest) >= 8 && bytes.EqualFold(rest[:8], []byte("https://")):
			n = 8
		case len(rest) >= 7 && bytes.EqualFold(rest[:7], []byte("http://")):
			n = 7
		default:
			i = start + 4
			continue
		}
		end := start + n
		for end < len(body) && body[end] > ' ' && body[end] < 0x7f && !strings.ContainsRune("<>\"'", rune(body[end])) {
			end++
		}
		u := strings.TrimRight(string(body[start:end]), ".,;:!?)]}")
		if len(u) > n {
			out = append(out, textURL{u, start})
		}
		i = end
	}
	return out
}

// normalLink is a link as two alternatives are compared: without a
// trailing slash, the scheme and host in lower case.
func normalLink(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	p.Scheme, p.Host = strings.ToLower(p.Scheme), strings.ToLower(p.Host)
	return strings.TrimSuffix(p.String(), "/")
}

// placeholders are the marks of template languages left unrendered.
var placeholders = []struct{ open, close, what string }{
	{"{{", "}}", "Mustache, Handlebars, Go and Jinja"},
	{"{%", "%}", "Liquid and Jinja"},
	{"*|", "|*", "Mailchimp merge tag"},
	{"${", "}", "a template literal"},
	{"%recipient", "%", "Mailgun recipient variable"},
}

// checkPlaceholders reports an unrendered template placeholder in s (the
// Subject, a body, an attribute): certain, never what a reader should
// see.
func (c *checker) checkPlaceholders(part string, off int, s []byte, where string) {
	for _, p := range placeholders {
		i := bytes.Index(s, []byte(p.open))
		if i < 0 {
			continue
		}
		rest := s[i+len(p.open):]
		j := bytes.Index(rest, []byte(p.close))
		if j < 0 || j > 64 || bytes.ContainsAny(rest[:j], "\r\n") {
			continue
		}
		inner := rest[:j]
		if p.open == "%recipient" && len(inner) > 0 && inner[0] != '.' {
			continue // %recipient.name%, not "%recipients of ..."
		}
		c.add("content/placeholder", part, off, "%s has an unrendered placeholder %s (%s): the template was not filled in", where, quote(s[i:i+len(p.open)+j+len(p.close)]), p.what)
		return
	}
}

// indexBytesFold is the index of the first s (ASCII, lower case) in b,
// compared without case; -1 if none.
func indexBytesFold(b []byte, s string) int {
	for i := 0; i+len(s) <= len(b); i++ {
		if b[i]|0x20 == s[0] && bytes.EqualFold(b[i:i+len(s)], []byte(s)) {
			return i
		}
	}
	return -1
}

// htmlFacts notes the caniemail detector's keys an HTML start tag shows:
// the element, its attributes, an input's or button's type, a
// color-scheme meta tag, local and mailto: links, an image's format.
func (c *checker) htmlFacts(tag string, attrs map[string]string, off int, fact func(string, int)) {
	fact("tag:"+tag, off)
	for k := range attrs {
		fact("attr:"+k, off)
	}
	switch tag {
	case "input", "button":
		if t := strings.ToLower(strings.TrimSpace(attrs["type"])); t != "" {
			fact(tag+":"+t, off)
		}
	case "meta":
		if strings.EqualFold(attrs["name"], "color-scheme") {
			fact("meta:color-scheme", off)
		}
	case "a":
		href := strings.TrimSpace(attrs["href"])
		switch {
		case strings.HasPrefix(href, "#") && len(href) > 1:
			fact("link:anchor", off)
		case len(href) > 7 && strings.EqualFold(href[:7], "mailto:"):
			fact("link:mailto", off)
		}
	case "img", "source":
		src := strings.ToLower(strings.TrimSpace(attrs["src"]))
		if strings.HasPrefix(src, "data:") {
			fact("img:data", off)
			if strings.HasPrefix(src, "data:image/svg") {
				fact("img:svg", off)
			}
			return
		}
		if u, err := url.Parse(src); err == nil {
			p := u.Path
			if i := strings.LastIndexByte(p, '.'); i >= 0 {
				ext := p[i+1:]
				switch ext {
				case "jpeg", "jpg", "png", "gif", "webp", "avif", "svg", "bmp", "ico", "heif", "heic", "apng", "hdr", "mp4":
					if ext == "heic" {
						ext = "heif"
					}
					fact("img:"+ext, off)
				case "tif", "tiff":
					fact("img:tiff", off)
				}
			}
		}
	}
}
