package web

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestWithoutFetches: links that fetch by themselves and meta refresh go;
// everything else is kept byte for byte, malformed HTML too.
func TestWithoutFetches(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`<head><link rel="prefetch" href="https://tracker.example/p"><link rel=stylesheet href="https://cdn.example/s.css"></head>`,
			`<head><link rel=stylesheet href="https://cdn.example/s.css"></head>`},
		{`<link rel="DNS-Prefetch" href="//x.example"/><link rel="preconnect" href="https://x.example"><link rel="next prefetch" href="/2">a`, `a`},
		{`<meta http-equiv="Refresh" content="0; url=https://x.example/"><meta charset="utf-8">`, `<meta charset="utf-8">`},
		{`<link rel="preload" as="image" href="a.png">`, ``},
	} {
		if got := withoutFetches(c.in); got != c.want {
			t.Errorf("withoutFetches(%q) = %q; want %q", c.in, got, c.want)
		}
	}
	for _, keep := range []string{
		"", "plain text", "<p>Hi <b>there</b></p>", `<a href="x">unclosed`, "<!-- a comment -->", "<!-- unclosed comment",
		"<script>if (a < b) {}</script>", "<style>p{color:red}</style>", "<p attr='x", "<", "a < b > c", "<!DOCTYPE html><html lang=en>",
		"caf\xe9 \xff\xfe", "<img src=cid:logo>", strings.Repeat("<div>", 100),
	} {
		if got := withoutFetches(keep); got != keep {
			t.Errorf("withoutFetches(%q) = %q; want it unchanged", keep, got)
		}
	}
	// Random documents of HTML's pieces, without link or meta: unchanged.
	r := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"<", ">", "/", "a", "p", " ", "'", `"`, "=", "!--", "--", "script", "style", "textarea", "x", "&amp;", "\xff", "<![CDATA[", "?"}
	for range 20000 {
		var b strings.Builder
		for range r.IntN(16) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		if doc := b.String(); withoutFetches(doc) != doc {
			t.Fatalf("withoutFetches(%q) = %q; want it unchanged", doc, withoutFetches(doc))
		}
	}
}
