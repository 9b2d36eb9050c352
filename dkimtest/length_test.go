package dkimtest

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"

	"github.com/emersion/go-msgauth/dkim"
)

// agree checks this package's own verifier against go-msgauth on every
// signature of msg that go-msgauth took as far as hashing (so its tags,
// key and algorithms are good) and that has no l= (which go-msgauth
// refuses). It returns how many signatures it compared.
func agree(t *testing.T, msg []byte, ks *Keys) int {
	t.Helper()
	fields, body, err := splitMessage(msg)
	verifs, verr := dkim.VerifyWithOptions(bytes.NewReader(msg), &dkim.VerifyOptions{LookupTXT: ks.lookupTXT, MaxVerifications: MaxSignatures})
	if err != nil || (verr != nil && !errors.Is(verr, dkim.ErrTooManySignatures)) {
		return 0
	}
	var sigs []field
	for _, f := range fields {
		if strings.EqualFold(f.name(), "DKIM-Signature") {
			sigs = append(sigs, f)
		}
	}
	compared := 0
	for i, v := range verifs {
		var want error
		switch {
		case v.Err == nil:
		case strings.Contains(v.Err.Error(), "body hash did not verify"):
			want = ErrBodyHash
		case strings.Contains(v.Err.Error(), "signature did not verify"):
			want = ErrSignature
		default:
			continue // refused before hashing
		}
		tags, err := parseTags(sigs[i].value())
		if err != nil {
			t.Fatalf("go-msgauth read the tags of %q, this package could not: %v", sigs[i].raw, err)
		}
		if _, ok := tags["l"]; ok {
			continue
		}
		if lenientSpace(tags["b"]) || lenientSpace(tags["bh"]) {
			// go-msgauth strips every Unicode space from b= and bh=
			// (\v, \f, U+0085, U+00A0); RFC 6376 3.5 allows only FWS, so
			// this package refuses them as not base64 (found by FuzzVerify).
			continue
		}
		_, got := verifyOwn(fields, body, sigs[i], tags, ks)
		if (want == nil) != (got == nil) || (want != nil && !errors.Is(got, want)) {
			t.Errorf("signature %d: go-msgauth says %v, verifyOwn %v\nmessage %q", i, v.Err, got, msg)
		}
		compared++
	}
	return compared
}

// agreementCorpus signs messages that exercise canonicalization (folding,
// white space, case, empty lines, bare LF, repeated fields) with both key
// types and both canonicalizations, for TestOwnVerifierAgreesWithGoMsgauth
// and FuzzVerify's seeds.
// lenientSpace reports whether s has a space that Unicode counts and RFC
// 6376's FWS (SP, HTAB, CR, LF) does not.
func lenientSpace(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) && r != ' ' && r != '\t' && r != '\r' && r != '\n'
	})
}

func agreementCorpus(t testing.TB) ([][]byte, *Keys) {
	rsa := keyOf(t, "example.com", "r", RSA)
	ed := keyOf(t, "example.com", "e", Ed25519)
	ks := new(Keys)
	ks.Add(rsa, ed)
	bodies := []string{
		plain,
		"From: a@example.com\r\nSubject:  Two   spaces \r\n\tand a fold\r\nsubject: again\r\n\r\n",
		"From: a@example.com\r\n\r\n\r\n\r\n",
		"From: a@example.com\r\nTo: b@example.org\r\n\r\nno final CRLF",
		"From: a@example.com\nTo: b@example.org\n\nbare LF\nlines \t \n\n",
		"FROM:a@example.com\r\nX-A: 1\r\nX-A: 2\r\nX-A: 3\r\n\r\n \t leading\r\n\r\n",
	}
	var msgs [][]byte
	for _, b := range bodies {
		for _, k := range []*Key{rsa, ed} {
			for _, edit := range []func(*dkim.SignOptions){nil, relaxed, func(o *dkim.SignOptions) {
				o.HeaderCanonicalization = dkim.CanonicalizationRelaxed
				o.HeaderKeys = []string{"From", "X-A", "X-A", "Subject", "Missing"}
			}} {
				msgs = append(msgs, []byte(sign(t, b, k, edit)))
			}
		}
	}
	return msgs, ks
}

func TestOwnVerifierAgreesWithGoMsgauth(t *testing.T) {
	msgs, ks := agreementCorpus(t)
	rng := rand.New(rand.NewPCG(1, 2))
	compared := 0
	for _, msg := range msgs {
		compared += agree(t, msg, ks)
		// Changes of white space and case, which relaxed forgives and
		// simple does not, and of single bytes anywhere.
		for range 40 {
			m := bytes.Clone(msg)
			i := rng.IntN(len(m))
			switch rng.IntN(4) {
			case 0:
				m = append(m[:i], append([]byte(" "), m[i:]...)...)
			case 1:
				m = append(m[:i], append([]byte("\r\n"), m[i:]...)...)
			case 2:
				m[i] ^= 0x20
			case 3:
				m = append(m, "\r\n"...)
			}
			compared += agree(t, m, ks)
		}
	}
	if compared < len(msgs)*10 {
		t.Errorf("only %d signatures compared", compared)
	}
}

func FuzzVerify(f *testing.F) {
	msgs, ks := agreementCorpus(f)
	for _, m := range msgs {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		if _, err := Verify(msg, ks); err != nil && !errors.Is(err, errNoBody) && !errors.Is(err, ErrTooManySignatures) {
			t.Fatalf("Verify: %v", err)
		}
		agree(t, msg, ks)
	})
}

func TestCanonBody(t *testing.T) {
	for _, c := range []struct{ in, simple, relaxed string }{
		{"", "\r\n", ""},
		{"\r\n\r\n", "\r\n", ""},
		{"a", "a\r\n", "a\r\n"},
		{"a \t b  \r\n\r\n\r\n", "a \t b  \r\n", "a b\r\n"},
		{" x\n\ny\n", " x\r\n\r\ny\r\n", " x\r\n\r\ny\r\n"},
		{"a\r\n \r\n", "a\r\n \r\n", "a\r\n"},
	} {
		if got := string(canonBody([]byte(c.in), false)); got != c.simple {
			t.Errorf("simple %q = %q, want %q", c.in, got, c.simple)
		}
		if got := string(canonBody([]byte(c.in), true)); got != c.relaxed {
			t.Errorf("relaxed %q = %q, want %q", c.in, got, c.relaxed)
		}
	}
}

func TestCanonHeaderAndWithoutB(t *testing.T) {
	if got := canonHeader("SubJect :  a  \r\n\tb \r\n", true); got != "subject:a b\r\n" {
		t.Errorf("relaxed = %q", got)
	}
	if got := canonHeader("SubJect : a\r\n", false); got != "SubJect : a\r\n" {
		t.Errorf("simple = %q", got)
	}
	for in, want := range map[string]string{
		"DKIM-Signature: v=1; bh=x; b=abc\r\n def; d=e\r\n": "DKIM-Signature: v=1; bh=x; b=; d=e\r\n",
		"DKIM-Signature: v=1; b = abc\r\n":                  "DKIM-Signature: v=1; b =\r\n",
		"DKIM-Signature: b=abc;bh=y\r\n":                    "DKIM-Signature: b=;bh=y\r\n",
	} {
		if got := withoutB(in); got != want {
			t.Errorf("withoutB(%q) = %q, want %q", in, got, want)
		}
	}
}
