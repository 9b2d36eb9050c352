package smtptest

import (
	"errors"
	"regexp"
	"strings"

	"golang.org/x/net/html"
)

// Links returns every URL a reader could click in m, in order, each once:
// the http, https and mailto URLs of the text body, then the href of the
// HTML body's links (a, area; http, https, mailto) and the src of its
// images (img; http, https), all decoded from their transfer encoding,
// charset and HTML entities. A test follows the link of a verification
// mail with it. A message without a text or HTML body is not an error; a
// body that cannot be read is (what was found is returned with it). A
// message is searched once; each call returns its own slice.
func (m *Message) Links() ([]string, error) { return m.cachedLinks() }

// links finds m's links (Links, made once by cachedLinks).
func (m *Message) links() ([]string, error) {
	var links []string
	seen := map[string]bool{}
	add := func(u string) {
		if u != "" && !seen[u] {
			seen[u] = true
			links = append(links, u)
		}
	}
	var errs []error
	if text, err := m.TextBody(); err == nil {
		for _, u := range textURL.FindAllString(text, -1) {
			add(trimURL(u))
		}
	} else if !errors.Is(err, ErrNoPart) {
		errs = append(errs, err)
	}
	if body, err := m.HTMLBody(); err == nil {
		for _, u := range htmlLinks(body) {
			add(u)
		}
	} else if !errors.Is(err, ErrNoPart) {
		errs = append(errs, err)
	}
	return links, errors.Join(errs...)
}

// textURL finds the URLs of a text body.
var textURL = regexp.MustCompile(`(?i)\b(?:https?://|mailto:)[^\s<>"]+`)

// trimURL drops what follows a URL in prose: a closing punctuation mark,
// or a bracket the URL did not open. The brackets are counted once, so
// the time is linear however many marks follow.
func trimURL(u string) string {
	// Only closing marks are trimmed: the opening ones counted stay.
	opened := map[byte]int{')': strings.Count(u, "("), ']': strings.Count(u, "[")}
	closed := map[byte]int{')': strings.Count(u, ")"), ']': strings.Count(u, "]")}
	for len(u) > 0 {
		last := u[len(u)-1]
		switch {
		case strings.IndexByte(".,;:!?'", last) >= 0:
		case (last == ')' || last == ']') && opened[last] < closed[last]:
			closed[last]--
		default:
			return u
		}
		u = u[:len(u)-1]
	}
	return u
}

// htmlLinks returns the clickable href and image src values of an HTML
// document, entities decoded, in document order.
func htmlLinks(doc string) []string {
	var out []string
	z := html.NewTokenizer(strings.NewReader(doc))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			want, schemes := "", []string(nil)
			switch string(name) {
			case "a", "area":
				want, schemes = "href", []string{"http:", "https:", "mailto:"}
			case "img":
				want, schemes = "src", []string{"http:", "https:"}
			}
			for hasAttr && want != "" {
				var key, val []byte
				key, val, hasAttr = z.TagAttr()
				if string(key) != want {
					continue
				}
				u := strings.TrimSpace(string(val))
				for _, s := range schemes {
					if len(u) > len(s) && strings.EqualFold(u[:len(s)], s) {
						out = append(out, u)
						break
					}
				}
			}
		}
	}
}
