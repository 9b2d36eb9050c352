package main

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
