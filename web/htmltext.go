package web

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// htmlText returns the text a reader sees in an HTML body, white space
// collapsed: for snippets, searching, and the Text of a message that has
// only HTML (as Mailpit gives it). Script, style and head are left out.
func htmlText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := 0 // inside script, style, head
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.Join(strings.Fields(b.String()), " ")
		case html.StartTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "head", "title":
				skip++
			case "br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "table":
				b.WriteByte(' ')
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "head", "title":
				if skip > 0 {
					skip--
				}
			case "p", "div", "tr", "li", "td", "th":
				b.WriteByte(' ')
			}
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		}
	}
}

// snippet is the start of what a message says, as Mailpit shows it in a
// list: its HTML's text, or its text, white space collapsed, cut to 200
// bytes (on a character boundary) with "..." after.
func snippet(text, htmlBody string) string {
	const limit = 200
	s := ""
	if strings.TrimSpace(htmlBody) != "" {
		s = htmlText(htmlBody)
	} else {
		s = strings.Join(strings.Fields(strings.ReplaceAll(text, "\uFEFF", " ")), " ")
	}
	if len(s) <= limit {
		return s
	}
	n := limit
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// fetchingRels are the link relations that make a browser fetch or look
// up something by themselves, not as an image, a font or a style sheet.
var fetchingRels = map[string]bool{
	"prefetch": true, "preload": true, "modulepreload": true, "prerender": true,
	"dns-prefetch": true, "preconnect": true, "next": true,
}

// withoutFetches returns an HTML body without what would make the viewer
// fetch beyond what "Load remote content" allows (images, fonts, styles):
// <link> elements of fetchingRels (a Content-Security-Policy does not
// cover them everywhere: Chromium prefetched in remote mode) and <meta
// http-equiv="refresh"> (a navigation of the frame). The rest is kept
// byte for byte.
func withoutFetches(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	b.Grow(len(s))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			b.Write(z.Raw()) // what an unfinished tag left at the end
			return b.String()
		}
		raw := z.Raw() // before TagName/TagAttr, which it does not change
		if tt == html.StartTagToken || tt == html.SelfClosingTagToken {
			kept := string(raw)
			if name, hasAttr := z.TagName(); (string(name) == "link" || string(name) == "meta") && hasAttr && fetches(string(name), z) {
				continue
			}
			b.WriteString(kept)
			continue
		}
		b.Write(raw)
	}
}

// fetches reports whether the link or meta tag whose attributes z reads
// next fetches by itself.
func fetches(tag string, z *html.Tokenizer) bool {
	for more := true; more; {
		var key, val []byte
		key, val, more = z.TagAttr()
		switch {
		case tag == "link" && string(key) == "rel":
			for _, rel := range strings.Fields(strings.ToLower(string(val))) {
				if fetchingRels[rel] {
					return true
				}
			}
		case tag == "meta" && string(key) == "http-equiv" && strings.EqualFold(strings.TrimSpace(string(val)), "refresh"):
			return true
		}
	}
	return false
}
