package lint

import (
	"slices"
	"strings"
	"testing"
)

// TestClients: the caniemail check against features whose support is
// known: flexbox in Outlook for Windows (none), <style> (Gmail's apps for
// non-Google accounts in part), and what it must not report.
func TestClients(t *testing.T) {
	support := func(html string, clients ...string) []string {
		t.Helper()
		var out []string
		for _, p := range Check([]byte(alternative("Hello https://app.example.com/", html)), Clients(clients...)) {
			if p.Rule == "content/client-support" || p.Rule == "lint/unknown-client" {
				out = append(out, p.Text)
			}
		}
		return out
	}
	flex := page(`<div style="display: flex; gap: 8px"><a href="https://app.example.com/">Go</a></div>`)
	got := support(flex, "outlook.windows")
	if len(got) != 3 || !strings.Contains(got[0], "display:flex is not supported by Outlook Windows 2019") || !strings.Contains(got[0], "https://www.caniemail.com/features/css-display-flex/") {
		t.Errorf("flexbox in Outlook for Windows: %q", got)
	}
	if !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "gap, column-gap, row-gap") }) {
		t.Errorf("gap in Outlook for Windows: %q", got)
	}
	if got := support(flex, "apple-mail"); len(got) != 0 {
		t.Errorf("flexbox in Apple Mail (supported): %q", got)
	}
	styled := `<html lang="en"><head><style>@media (prefers-color-scheme: dark) { .card { background-color: #000 } } a:hover { color: red }</style></head><body>` +
		`<p class="card">` + strings.Repeat("Words for the reader. ", 6) + `<a href="https://app.example.com/">Go</a></p></body></html>`
	got = support(styled, "gmail")
	for _, want := range []string{"<style> element", "@media (prefers-color-scheme)", ":hover"} {
		if !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("Gmail: %s not reported: %q", want, got)
		}
	}
	if slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "background-color ") }) {
		t.Errorf("Gmail supports background-color: %q", got)
	}
	// A class named like a property is no property; an @media block's
	// rules are rules.
	if got := support(page(`<style>@media (max-width: 600px) { .flex { width: 100% } }</style>`), "outlook.windows"); slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "display") }) {
		t.Errorf("a class read as a property: %q", got)
	}
	// Without Clients, nothing of it; an unknown name said once.
	for _, p := range Check([]byte(alternative("Hello https://app.example.com/", flex))) {
		if p.Rule == "content/client-support" {
			t.Errorf("without Clients: %v", p)
		}
	}
	if got := support(flex, "hotmail", "pine"); len(got) != 2 || !strings.Contains(got[0], `"hotmail"`) || !strings.Contains(got[1], `"pine"`) {
		t.Errorf("unknown clients: %q", got)
	}
	names := ClientNames()
	for _, want := range []string{"gmail", "gmail.android", "outlook", "outlook.windows", "apple-mail", "apple-mail.ios"} {
		if !slices.Contains(names, want) {
			t.Errorf("ClientNames lacks %s: %q", want, names)
		}
	}
}

// TestCaniemailData: every feature of the data set parses, and all but
// the selectors, AMP and BIMI have a detector.
func TestCaniemailData(t *testing.T) {
	d := caniemail()
	undetected := 0
	for _, f := range d.features {
		if len(f.support) == 0 {
			t.Errorf("%s: no support data", f.slug)
		}
		if len(f.detect) == 0 {
			undetected++
			if !strings.HasPrefix(f.slug, "css-selector-") && f.slug != "amp" && f.slug != "bimi" {
				t.Errorf("%s (%s) has no detector", f.slug, f.title)
			}
		}
	}
	if len(d.features) < 300 || undetected > 15 {
		t.Errorf("%d features, %d without a detector", len(d.features), undetected)
	}
}

// TestHTMLFeatures: the features a message uses, counted, with every
// client and version's support.
func TestHTMLFeatures(t *testing.T) {
	msg := alternative("Hi https://app.example.com/", page(`<div style="display:flex"><p style="display:flex">x</p></div><a href="https://app.example.com/">Go</a>`))
	var flex *Feature
	for _, f := range HTMLFeatures([]byte(msg)) {
		if f.Slug == "css-display-flex" {
			flex = &f
		}
	}
	if flex == nil || flex.Found != 2 || flex.URL != "https://www.caniemail.com/features/css-display-flex/" || flex.Category != "css" {
		t.Fatalf("display:flex: %+v", flex)
	}
	var outlook []string
	for _, s := range flex.Support {
		if s.Client == "outlook.windows" {
			outlook = append(outlook, s.Version+"="+s.Level)
		}
		if s.Client == "gmail.ios" && s.Version == "2026-03" && (s.Level != "a" || s.NoteNumber != "1" || s.Name != "Gmail iOS") {
			t.Errorf("Gmail iOS 2026-03: %+v", s)
		}
	}
	if strings.Join(outlook, " ") != "2007=n 2010=n 2013=n 2016=n 2019=n" {
		t.Errorf("Outlook Windows: %v", outlook)
	}
	if fs := HTMLFeatures([]byte("Subject: plain\r\n\r\nNo HTML.\r\n")); len(fs) != 0 {
		t.Errorf("a text message: %v", fs)
	}
}
