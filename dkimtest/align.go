package dkimtest

import (
	"io"
	"mime"
	"net/mail"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Alignment says how a signing domain relates to the From domain, as
// DMARC judges it (RFC 7489 3.1.1).
type Alignment int

const (
	// NotAligned: the signing domain and the From domain belong to
	// different organizations.
	NotAligned Alignment = iota
	// Relaxed: they share the organizational domain (mail.example.com
	// and example.com), which DMARC's default adkim=r accepts.
	Relaxed
	// Strict: they are the same domain, which adkim=s requires.
	Strict
)

// String returns "not aligned", "relaxed" or "strict".
func (a Alignment) String() string {
	switch a {
	case Relaxed:
		return "relaxed"
	case Strict:
		return "strict"
	default:
		return "not aligned"
	}
}

// align compares a signing domain with a From domain.
func align(d, from string) Alignment {
	d = strings.ToLower(strings.TrimSuffix(d, "."))
	switch {
	case d == "" || from == "":
		return NotAligned
	case d == from:
		return Strict
	case organization(d) == organization(from):
		return Relaxed
	default:
		return NotAligned
	}
}

// organization returns the organizational domain of d (RFC 7489 3.2): the
// public suffix and one label more, by the Public Suffix List.
func organization(d string) string {
	org, err := publicsuffix.EffectiveTLDPlusOne(d)
	if err != nil {
		return d // d is itself a public suffix, or not a domain
	}
	return org
}

// fromDomain returns the lower-case domain of the message's From
// addresses, or "" unless there is exactly one From field and its
// addresses share one domain (RFC 7489 6.6.1).
func fromDomain(fields []field) string {
	var from []field
	for _, f := range fields {
		if strings.EqualFold(f.name(), "From") {
			from = append(from, f)
		}
	}
	if len(from) != 1 {
		return ""
	}
	// Only the addresses matter: names in any charset pass undecoded.
	p := mail.AddressParser{WordDecoder: &mime.WordDecoder{
		CharsetReader: func(_ string, r io.Reader) (io.Reader, error) { return r, nil },
	}}
	addrs, err := p.ParseList(strings.ReplaceAll(from[0].value(), "\r\n", ""))
	if err != nil || len(addrs) == 0 {
		return ""
	}
	domain := ""
	for _, a := range addrs {
		at := strings.LastIndexByte(a.Address, '@')
		if at < 0 {
			return ""
		}
		d := strings.ToLower(strings.TrimSuffix(a.Address[at+1:], "."))
		if domain != "" && d != domain {
			return ""
		}
		domain = d
	}
	return domain
}
