package lint

import (
	"bufio"
	_ "embed"
	"slices"
	"strings"
	"sync"

	"github.com/tdewolff/parse/v2"
	"github.com/tdewolff/parse/v2/css"
)

// caniemailData is the caniemail data set (caniemail.com, MIT licence:
// caniemail.LICENSE), as lint/internal/gencaniemail writes it from the
// npm package: each feature, what shows it in a message, and for each
// client, platform and version its support.
//
//go:embed caniemail.txt
var caniemailData string

// Clients judges the HTML of each message against what these mail
// clients support, by the caniemail data set: each feature the HTML uses
// (an element, an attribute, a CSS property, value, at-rule, selector,
// unit or function, an image format) that one of them does not support,
// or supports in part, in its newest version tested, is a Warning of
// rule content/client-support naming the clients and the feature's
// caniemail page. A name is a family ("gmail", "outlook", "apple-mail",
// "yahoo", ...: all its platforms) or family.platform
// ("outlook.windows", "gmail.android"); [ClientNames] lists them. A name
// caniemail does not have is a problem of rule lint/unknown-client.
func Clients(names ...string) Option {
	return optionFunc(func(c *config) { c.clients = append(c.clients, names...) })
}

// ClientNames lists the names [Clients] takes: every family and every
// family.platform of the data set, sorted.
func ClientNames() []string {
	d := caniemail()
	var out []string
	seen := map[string]bool{}
	for _, f := range d.features {
		for client := range f.support {
			fam, _, _ := strings.Cut(client, ".")
			for _, n := range []string{fam, client} {
				if !seen[n] {
					seen[n] = true
					out = append(out, n)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// ciuFeature is one feature of the data set.
type ciuFeature struct {
	slug, category, title string
	detect                []string            // keys of the detector
	support               map[string][]ciuRun // by family.platform, oldest version first
}

// ciuRun is a client version's support: y, n, a (partial) or u, with a
// note number.
type ciuRun struct{ version, support string }

type ciuData struct {
	features []*ciuFeature
	byKey    map[string][]*ciuFeature
	family   map[string]string // nice names
	platform map[string]string
}

var (
	ciuOnce sync.Once
	ciu     *ciuData
)

// caniemail parses the data set, once.
func caniemail() *ciuData {
	ciuOnce.Do(func() {
		d := &ciuData{byKey: map[string][]*ciuFeature{}, family: map[string]string{}, platform: map[string]string{}}
		var cur *ciuFeature
		sc := bufio.NewScanner(strings.NewReader(caniemailData))
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			f := strings.Split(sc.Text(), "\t")
			switch {
			case f[0] == "N" && len(f) == 4:
				if f[1] == "family" {
					d.family[f[2]] = f[3]
				} else {
					d.platform[f[2]] = f[3]
				}
			case f[0] == "F" && len(f) == 5:
				cur = &ciuFeature{slug: f[1], category: f[2], title: f[3], support: map[string][]ciuRun{}}
				if f[4] != "" {
					cur.detect = strings.Split(f[4], "|")
				}
				d.features = append(d.features, cur)
				for _, k := range cur.detect {
					d.byKey[k] = append(d.byKey[k], cur)
				}
			case f[0] == "S" && len(f) == 3 && cur != nil:
				for _, vs := range strings.Split(f[2], ",") {
					v, s, _ := strings.Cut(vs, "=")
					cur.support[f[1]] = append(cur.support[f[1]], ciuRun{v, s})
				}
			}
		}
		ciu = d
	})
	return ciu
}

// clientName is family.platform as a person reads it: "Outlook Windows".
func (d *ciuData) clientName(client string) string {
	fam, plat, _ := strings.Cut(client, ".")
	name := d.family[fam]
	if name == "" {
		name = fam
	}
	if p := d.platform[plat]; p != "" {
		return name + " " + p
	}
	return name + " " + plat
}

// checkClients reports the features the HTML uses that the chosen
// clients lack. used maps detector keys to where each was first seen.
func (c *checker) checkClients(part string, used map[string]int) {
	d := caniemail()
	chosen := map[string]bool{}
	for _, n := range c.cfg.clients {
		n = strings.ToLower(strings.TrimSpace(n))
		known := false
		for _, f := range d.features {
			for client := range f.support {
				if client == n || strings.HasPrefix(client, n+".") {
					chosen[client] = true
					known = true
				}
			}
		}
		if !known && !c.unknownClientSaid {
			c.add("lint/unknown-client", "", -1, "Clients(%q): caniemail has no such client (lint.ClientNames lists them)", n)
		}
	}
	c.unknownClientSaid = true
	if len(chosen) == 0 {
		return
	}
	reported := map[*ciuFeature]bool{}
	for _, f := range d.features {
		off, found := -1, false
		for _, k := range f.detect {
			if o, ok := used[k]; ok && (!found || o < off) {
				off, found = o, true
			}
		}
		if !found || reported[f] {
			continue
		}
		var no, partly []string
		clients := make([]string, 0, len(f.support))
		for client := range f.support {
			if chosen[client] {
				clients = append(clients, client)
			}
		}
		slices.Sort(clients)
		for _, client := range clients {
			runs := f.support[client]
			last := runs[len(runs)-1]
			name := d.clientName(client) + " " + last.version
			switch strings.Fields(last.support + " ")[0] {
			case "n":
				no = append(no, name)
			case "a":
				partly = append(partly, name)
			}
		}
		if len(no) == 0 && len(partly) == 0 {
			continue
		}
		reported[f] = true
		var b strings.Builder
		b.WriteString(f.title)
		if len(no) > 0 {
			b.WriteString(" is not supported by " + strings.Join(no, ", "))
		}
		if len(partly) > 0 {
			if len(no) > 0 {
				b.WriteString("; partly by ")
			} else {
				b.WriteString(" is supported only in part by ")
			}
			b.WriteString(strings.Join(partly, ", "))
		}
		b.WriteString(": https://www.caniemail.com/features/" + f.slug + "/")
		c.add("content/client-support", part, off, "%s", b.String())
	}
}

// cssFacts adds the detector keys a piece of CSS shows to used, at off:
// a style sheet (sheet) or a style attribute's declarations, and counts
// each in counts if it is not nil. It reads
// css's tokens with a small state: in a block of rules (the sheet, an
// @media or @supports block) a selector or an at-rule's prelude, in a
// block of declarations a property and then its value.
func cssFacts(src []byte, sheet bool, off int, used, counts map[string]int) {
	note := func(k string) {
		if _, ok := used[k]; !ok {
			used[k] = off
		}
		if counts != nil {
			counts[k]++
		}
	}
	l := css.NewLexer(parse.NewInputBytes(append([]byte(nil), src...)))
	var (
		stack       []bool // for each open brace: its block holds rules, not declarations
		atRule      string // the at-rule whose prelude is being read
		prop        string // the property whose value is being read
		decl        = !sheet
		inSelector  = sheet
		colonBefore bool // the last token was a ':' of a selector
		last        = css.ErrorToken
	)
	inRules := func() bool {
		if len(stack) == 0 {
			return sheet
		}
		return stack[len(stack)-1]
	}
	for {
		tt, data := l.Next()
		if tt == css.ErrorToken {
			return
		}
		text := strings.ToLower(string(data))
		switch tt {
		case css.CommentToken:
			note("comment")
		case css.AtKeywordToken:
			atRule = strings.TrimPrefix(text, "@")
			note("at:" + atRule)
			inSelector, decl = true, false
		case css.LeftBraceToken:
			if len(stack) > 0 && !stack[len(stack)-1] {
				note("nesting") // a rule inside declarations
			}
			holdsRules := slices.Contains([]string{"media", "supports", "container", "layer", "document", "scope"}, atRule)
			stack = append(stack, holdsRules)
			atRule, prop = "", ""
			inSelector, decl = holdsRules, !holdsRules
		case css.RightBraceToken:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			prop = ""
			inSelector, decl = inRules(), !inRules()
		case css.SemicolonToken:
			atRule, prop = "", ""
			inSelector, decl = inRules(), !inRules()
		case css.IdentToken:
			switch {
			case atRule == "media" && last == css.LeftParenthesisToken:
				note("media:" + text)
			case inSelector && colonBefore:
				note("pseudo:" + text)
			case inSelector:
			case decl && prop == "":
				prop = text
				if strings.HasPrefix(prop, "--") {
					note("var")
				} else {
					note("prop:" + prop)
				}
			case prop != "":
				note("value:" + prop + ":" + text)
				if text == "important" && last == css.DelimToken {
					note("important")
				}
			}
		case css.ColonToken:
			if decl && prop != "" {
				decl = false // the value follows
			}
		case css.FunctionToken:
			name := strings.TrimSuffix(text, "(")
			if inSelector && colonBefore {
				note("pseudo:" + name)
			} else if !inSelector {
				note("fn:" + name)
				if name == "var" {
					note("var")
				}
			}
		case css.DimensionToken:
			if i := strings.IndexFunc(text, func(r rune) bool { return r >= 'a' && r <= 'z' }); i > 0 && !inSelector {
				note("unit:" + text[i:])
			}
		case css.PercentageToken:
			if !inSelector {
				note("unit:%")
			}
		}
		colonBefore = tt == css.ColonToken && inSelector || (colonBefore && tt == css.ColonToken)
		if tt != css.WhitespaceToken && tt != css.CommentToken {
			last = tt
		}
	}
}

// A Feature is an HTML or CSS feature of the caniemail data set that a
// message's HTML uses ([HTMLFeatures]).
type Feature struct {
	Slug     string // "css-display-flex"
	Title    string // "display:flex"
	Category string // "css", "html", "image"
	URL      string // its caniemail page
	Found    int    // how often the HTML uses it (elements, declarations, ...)
	Support  []Support
}

// Support is what one version of one mail client supports of a feature.
type Support struct {
	Client     string // family.platform: "outlook.windows"
	Family     string // "outlook"
	Platform   string // "windows"
	Name       string // "Outlook Windows"
	FamilyName string // "Outlook"
	Version    string // "2019"
	Level      string // "y" yes, "n" no, "a" in part, "u" unknown
	NoteNumber string // caniemail's note, "" if none (the notes are on its page)
}

// HTMLFeatures lists the caniemail features the HTML parts of a message
// (data, as Check takes it) use, in the data set's order, each with how
// often it is used and what every client, platform and version tested
// supports of it (oldest version first for each client). It reads the
// message as Check does (decoded, CSS by tdewolff/parse's tokenizer) and
// judges nothing.
func HTMLFeatures(data []byte) []Feature {
	c := checker{data: data, counts: map[string]int{}}
	c.cfg.ignore = map[string]bool{}
	for _, r := range Rules {
		c.cfg.ignore[r.ID] = true // only the facts are wanted
	}
	c.checkEntity(0, len(data), "", 0)
	c.checkContent()
	d := caniemail()
	var out []Feature
	for _, f := range d.features {
		found := 0
		for _, k := range f.detect {
			found += c.counts[k]
		}
		if found == 0 {
			continue
		}
		feat := Feature{Slug: f.slug, Title: f.title, Category: f.category, URL: "https://www.caniemail.com/features/" + f.slug + "/", Found: found}
		clients := make([]string, 0, len(f.support))
		for client := range f.support {
			clients = append(clients, client)
		}
		slices.Sort(clients)
		for _, client := range clients {
			fam, plat, _ := strings.Cut(client, ".")
			for _, r := range f.support[client] {
				level, note, _ := strings.Cut(r.support, " ")
				famName := d.family[fam]
				if famName == "" {
					famName = fam
				}
				feat.Support = append(feat.Support, Support{Client: client, Family: fam, Platform: plat, Name: d.clientName(client),
					FamilyName: famName, Version: r.version, Level: level, NoteNumber: strings.TrimPrefix(note, "#")})
			}
		}
		out = append(out, feat)
	}
	return out
}
