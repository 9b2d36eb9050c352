package dkimtest

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
)

// Hand-written, and only for signatures with a body length (l=):
// go-msgauth refuses every such signature without checking it
// ("insecure body length tag"), yet senders still make them and
// receivers verify them, so a test must learn both that the signature
// holds and that it leaves part of the body unsigned. go-msgauth has
// already checked everything before that refusal (tags, the key and its
// algorithm, the canonicalizations, expiry, From in h=); what is left,
// done here, is the canonicalization (RFC 6376 3.4), the hashes and the
// signature. TestOwnVerifierAgreesWithGoMsgauth holds this code to
// go-msgauth's verdicts on signatures without l=.

// verifyLength verifies sig, which has an l= tag, over the message's
// header fields and body with the key in ks. It returns how many octets
// of the canonical body follow the l= octets.
func verifyLength(fields []field, body []byte, sig field, ks *Keys) (unsigned int64, err error) {
	tags, err := parseTags(sig.value())
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return verifyOwn(fields, body, sig, tags, ks)
}

// verifyOwn verifies sig whose tags are given, with or without l=.
func verifyOwn(fields []field, body []byte, sig field, tags map[string]string, ks *Keys) (unsigned int64, err error) {
	key, ok := ks.lookup(recordName(stripSpace(tags["d"]), stripSpace(tags["s"])))
	if !ok {
		return 0, fmt.Errorf("%w: no key registered for %s", ErrNoKey, recordName(tags["d"], tags["s"]))
	}
	headerCan, bodyCan, _ := strings.Cut(stripSpace(tags["c"]), "/")
	canon := canonBody(body, bodyCan == "relaxed")
	signed := int64(len(canon))
	if l, ok := tags["l"]; ok {
		var n int64
		if _, err := fmt.Sscan(stripSpace(l), &n); err != nil || n < 0 {
			return 0, fmt.Errorf("%w: l=%s is not a length", ErrInvalid, l)
		}
		if n > signed {
			return 0, fmt.Errorf("%w: l=%d, the canonical body has %d octets", ErrBodyLength, n, signed)
		}
		signed = n
	}
	bh, err := base64.StdEncoding.DecodeString(stripSpace(tags["bh"]))
	if err != nil {
		return 0, fmt.Errorf("%w: bh= is not base64", ErrInvalid)
	}
	sum := sha256.Sum256(canon[:signed])
	if subtle.ConstantTimeCompare(sum[:], bh) != 1 {
		return 0, fmt.Errorf("%w: the body is not the one signed: changed in transit or after signing", ErrBodyHash)
	}
	b, err := base64.StdEncoding.DecodeString(stripSpace(tags["b"]))
	if err != nil {
		return 0, fmt.Errorf("%w: b= is not base64", ErrInvalid)
	}
	h := sha256.New()
	relaxed := headerCan == "relaxed"
	// Each listed name takes the lowest instance not taken yet (RFC 6376
	// 5.4.2); a name with none left adds nothing. The instances of each
	// name, last first, are found in one pass over the header.
	instances := map[string][]int{}
	for _, name := range splitList(tags["h"]) {
		instances[strings.ToLower(name)] = nil
	}
	for i := len(fields) - 1; i >= 0; i-- {
		name := strings.ToLower(fields[i].name())
		if list, ok := instances[name]; ok {
			instances[name] = append(list, i)
		}
	}
	for _, name := range splitList(tags["h"]) {
		name = strings.ToLower(name)
		if list := instances[name]; len(list) > 0 {
			h.Write([]byte(canonHeader(fields[list[0]].raw, relaxed)))
			instances[name] = list[1:]
		}
	}
	h.Write([]byte(strings.TrimSuffix(canonHeader(withoutB(sig.raw), relaxed), "\r\n")))
	digest := h.Sum(nil)
	switch pub := key.Public.(type) {
	case *rsa.PublicKey:
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, b)
	case ed25519.PublicKey:
		if !ed25519.Verify(pub, digest, b) { // RFC 8463 3: Ed25519 over the SHA-256 hash
			err = fmt.Errorf("ed25519: verification error")
		}
	}
	if err != nil {
		return 0, fmt.Errorf("%w: the signed header fields are not the ones signed, or the key is not the signer's (%v)", ErrSignature, err)
	}
	return int64(len(canon)) - signed, nil
}

// canonBody canonicalizes a body, simple (RFC 6376 3.4.3) or relaxed
// (3.4.4). An LF without CR counts as CRLF, and a CR without LF is kept
// in a line (relaxed: as a line end at the end of the body), as
// go-msgauth reads them.
func canonBody(body []byte, relaxed bool) []byte {
	fixed := make([]byte, 0, len(body)+2)
	for i, c := range body {
		if c == '\n' && (i == 0 || body[i-1] != '\r') {
			fixed = append(fixed, '\r')
		}
		fixed = append(fixed, c)
	}
	if !relaxed {
		for bytes.HasSuffix(fixed, []byte("\r\n")) {
			fixed = fixed[:len(fixed)-2]
		}
		return append(fixed, "\r\n"...)
	}
	// Relaxed: white space before a line end goes, a run of it elsewhere
	// is one space, and line ends at the end of the body go, but for one.
	out := make([]byte, 0, len(fixed)+2)
	space := false     // white space seen and not written yet
	var pending []byte // line ends seen and not written yet
	for _, c := range fixed {
		switch c {
		case ' ', '\t':
			space = true
		case '\r', '\n':
			space = false
			pending = append(pending, c)
		default:
			out = append(out, pending...)
			pending = pending[:0]
			if space {
				out = append(out, ' ')
				space = false
			}
			out = append(out, c)
		}
	}
	if len(out) > 0 {
		out = append(out, "\r\n"...)
	}
	return out
}

// canonHeader canonicalizes one header field, raw with its CRLF: simple
// keeps it, relaxed (RFC 6376 3.4.2) lower-cases the name, unfolds, turns
// white space runs into one space and trims it around the name and the
// value (a CR or LF left in the value counts as white space, as
// go-msgauth takes it).
func canonHeader(raw string, relaxed bool) string {
	if !relaxed {
		return raw
	}
	name, value, _ := strings.Cut(raw, ":")
	words := strings.FieldsFunc(value, func(r rune) bool { return r == ' ' || r == '\t' || r == '\r' || r == '\n' })
	return strings.ToLower(strings.TrimSpace(name)) + ":" + strings.Join(words, " ") + "\r\n"
}

// withoutB returns a DKIM-Signature field with the value of its b= tag
// (and the white space around it) removed, as it was when signed.
func withoutB(raw string) string {
	colon := strings.IndexByte(raw, ':')
	if colon < 0 {
		return raw
	}
	end := strings.TrimSuffix(raw, "\r\n")
	for start := colon + 1; start <= len(end); {
		semi := strings.IndexByte(end[start:], ';')
		stop := len(end)
		if semi >= 0 {
			stop = start + semi
		}
		name, _, ok := strings.Cut(end[start:stop], "=")
		if ok && strings.TrimSpace(name) == "b" {
			eq := start + strings.IndexByte(end[start:stop], '=')
			return end[:eq+1] + end[stop:] + raw[len(end):]
		}
		start = stop + 1
	}
	return raw
}
