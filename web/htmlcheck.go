package web

import (
	"net/http"
	"slices"

	"github.com/smtptest/smtptest/lint"
)

// mpHTMLCheck is Mailpit's HTML check (GET
// /api/v1/message/{ID}/html-check): what of the caniemail data set the
// message's HTML uses, with every client and version's support, scored
// as Mailpit scores it. The data and the detection are package lint's
// (lint.HTMLFeatures); caniemail's prose notes are not kept, so
// Description is empty and NotesByNumber has the note numbers only
// (each feature's URL has them).
type mpHTMLCheck struct {
	Warnings  []mpHTMLWarning
	Platforms map[string][]string
	Total     struct {
		Tests, Nodes                    int
		Supported, Partial, Unsupported float32
	}
}

type mpHTMLWarning struct {
	Slug, Title, Description, URL, Category string
	Tags                                    []string
	Keywords                                string
	Results                                 []mpHTMLResult
	NotesByNumber                           map[string]string
	Score                                   struct {
		Found                           int
		Supported, Partial, Unsupported float32
	}
}

type mpHTMLResult struct {
	Name, Platform, Family, Version, Support, NoteNumber string
}

// htmlCheck makes Mailpit's HTML check of data.
func htmlCheck(data []byte) mpHTMLCheck {
	res := mpHTMLCheck{Warnings: []mpHTMLWarning{}, Platforms: map[string][]string{}}
	features := lint.HTMLFeatures(data)
	nodes := 0
	for _, f := range features {
		if f.Category == "html" {
			nodes += f.Found
		}
	}
	res.Total.Nodes = max(nodes, 1)
	res.Total.Tests = len(features)
	var partial, unsupported float32
	for _, f := range features {
		w := mpHTMLWarning{Slug: f.Slug, Title: f.Title, URL: f.URL, Category: f.Category, Tags: []string{}, Results: []mpHTMLResult{}, NotesByNumber: map[string]string{}}
		var y, n, p float32
		for _, s := range f.Support {
			r := mpHTMLResult{Name: s.Name + " (" + s.Version + ")", Platform: s.Platform, Family: s.Family, Version: s.Version, NoteNumber: s.NoteNumber}
			switch s.Level {
			case "y":
				y++
				r.Support = "yes"
			case "n":
				n++
				r.Support = "no"
			default:
				p++
				r.Support = "partial"
			}
			if s.NoteNumber != "" {
				w.NotesByNumber[s.NoteNumber] = "See " + f.URL
			}
			w.Results = append(w.Results, r)
			if !slices.Contains(res.Platforms[s.Platform], s.FamilyName) {
				res.Platforms[s.Platform] = append(res.Platforms[s.Platform], s.FamilyName)
			}
		}
		if total := y + n + p; total > 0 {
			w.Score.Supported, w.Score.Unsupported, w.Score.Partial = y/total*100, n/total*100, p/total*100
		}
		w.Score.Found = f.Found
		if weighted := w.Score.Partial * float32(f.Found) / float32(res.Total.Nodes); weighted > partial {
			partial = weighted
		}
		if weighted := w.Score.Unsupported * float32(f.Found) / float32(res.Total.Nodes); weighted > unsupported {
			unsupported = weighted
		}
		res.Warnings = append(res.Warnings, w)
	}
	res.Total.Partial, res.Total.Unsupported = min(partial, 100), min(unsupported, 100)
	res.Total.Supported = max(0, 100-res.Total.Partial-res.Total.Unsupported)
	for _, fams := range res.Platforms {
		slices.Sort(fams)
	}
	slices.SortStableFunc(res.Warnings, func(a, b mpHTMLWarning) int {
		wa := (a.Score.Unsupported + a.Score.Partial) * float32(a.Score.Found)
		wb := (b.Score.Unsupported + b.Score.Partial) * float32(b.Score.Found)
		switch {
		case wa > wb:
			return -1
		case wa < wb:
			return 1
		}
		return 0
	})
	return res
}

// mpHTMLCheckHandler answers GET /api/v1/message/{ID}/html-check; a
// message without HTML is Mailpit's 400 "message does not contain HTML".
func mpHTMLCheckHandler(mb *mailbox) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		m, ok := mpMessageOf(w, r, mb, r.PathValue("id"))
		if !ok {
			return
		}
		if h, _ := m.HTMLBody(); h == "" {
			mpError(w, "message does not contain HTML")
			return
		}
		writeJSON(w, http.StatusOK, htmlCheck(m.Data))
	}
}
