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
		for _, item := range splitList(lu.value) {
			item = bytes.TrimSpace(item)
			if len(item) < 2 || item[0] != '<' || item[len(item)-1] != '>' {
				c.add("list/unsubscribe-syntax", "", lu.off, "List-Unsubscribe entry %s is not a <URI>", quote(item))
				continue
			}
			u, err := url.Parse(string(item[1 : len(item)-1]))
			if err != nil || (u.Scheme != "mailto" && u.Scheme != "http" && u.Scheme != "https") {
				c.add("list/unsubscribe-syntax", "", lu.off, "List-Unsubscribe entry %s is not a mailto, http or https URI", quote(item))
				continue
			}
			if u.Scheme == "https" {
				https = true
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

// splitList splits a List-Unsubscribe value at the commas between its
// <URI>s (a comma inside brackets is part of the URI).
func splitList(v []byte) [][]byte {
	var out [][]byte
	depth, start := 0, 0
	for i, b := range v {
		switch b {
		case '<':
			depth++
		case '>':
			depth--
		case ',':
			if depth <= 0 {
				out = append(out, v[start:i])
				start = i + 1
			}
		}
	}
	return append(out, v[start:])
}
