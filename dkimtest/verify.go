package dkimtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-msgauth/dkim"
)

// The reasons a signature does not verify. A [Result]'s Err wraps one of
// them (test with errors.Is) and says more.
var (
	// ErrNoKey: the registry has no key for the signature's domain and
	// selector (or the key record is unusable).
	ErrNoKey = errors.New("no key")
	// ErrBodyHash: the body is not the one that was signed (bh=): it was
	// changed in transit, or after signing.
	ErrBodyHash = errors.New("body hash mismatch")
	// ErrSignature: the signed header fields are not the ones that were
	// signed, or the signature is not by this key.
	ErrSignature = errors.New("bad signature")
	// ErrExpired: the signature's x= time has passed.
	ErrExpired = errors.New("signature expired")
	// ErrFromNotSigned: h= does not list From (RFC 6376 5.4: it must).
	ErrFromNotSigned = errors.New("h= does not list From")
	// ErrBodyLength: l= is longer than the body.
	ErrBodyLength = errors.New("l= longer than the body")
	// ErrInvalid: the signature is malformed, or uses an algorithm or
	// canonicalization verifiers refuse (rsa-sha1, for one).
	ErrInvalid = errors.New("invalid signature")
	// ErrTooLarge: the signature, a header field it signs, or its h=
	// list is larger than dkimtest verifies (see [MaxFieldBytes]): the
	// signature was not checked.
	ErrTooLarge = errors.New("too large to verify")
)

// The limits of what [Verify] hands to the verifier. go-msgauth reads a
// header field by appending each of its lines to what it read before, and
// looks each h= name up over the whole header: time that grows with the
// square of a field's lines and of the header. Real signatures are far
// inside these limits; a hostile message past them gets [ErrTooLarge]
// for the signatures it concerns, at once.
const (
	// MaxFieldBytes is the largest DKIM-Signature, or field it signs,
	// verified.
	MaxFieldBytes = 64 << 10
	// MaxFieldLines is the most lines such a field may be folded into.
	MaxFieldLines = 512
	// MaxSignedFields is the most names a signature's h= may list.
	MaxSignedFields = 128
	// maxHandedBytes bounds the header handed to go-msgauth in all.
	maxHandedBytes = 256 << 10
)

// ErrTooManySignatures is returned by [Verify] for a message with more
// than MaxSignatures DKIM-Signature fields; the first MaxSignatures are
// verified.
var ErrTooManySignatures = errors.New("dkimtest: too many DKIM-Signature fields")

// MaxSignatures is the most signatures [Verify] checks in one message: a
// hostile message cannot make it do unbounded work.
const MaxSignatures = 16

// Result is what verifying one DKIM-Signature found.
type Result struct {
	Domain           string   // d=, the signing domain
	Selector         string   // s=
	Identifier       string   // i=, or "@" + d= when the signature has none
	Algorithm        string   // a=: "rsa-sha256", "ed25519-sha256"
	Canonicalization string   // c=, header/body: "relaxed/relaxed"; "simple/simple" when omitted
	HeaderKeys       []string // h=, the signed header fields, as listed
	// Missing are the names of HeaderKeys that no field of the header
	// has: signed as absent (oversigning does that on purpose), or a
	// name the signer mangled (folded inside the name, misspelt), which
	// is why a signature fails. A fact, not an error by itself.
	Missing  []string
	BodyHash string // bh=, base64
	// BodyLength is l=, how many octets of the canonical body the
	// signature covers; -1 when it has no l= (it covers the whole body).
	BodyLength int64
	// UnsignedBody counts the octets of the canonical body after l=:
	// content anyone could have appended without breaking the signature
	// (RFC 6376 8.2). Above 0 the signature can verify and still be
	// unsafe; receivers such as Gmail distrust it.
	UnsignedBody int64
	Time         time.Time // t=; zero if absent
	Expiration   time.Time // x=; zero if absent

	// FromDomain is the domain of the message's From address, lower-case;
	// "" if the message has no single From domain (no From, several From
	// fields or domains, or one that cannot be parsed).
	FromDomain string
	// Aligned says how Domain aligns with FromDomain (RFC 7489 3.1).
	Aligned Alignment

	// Err is nil when the signature verified; otherwise it wraps one of
	// ErrNoKey, ErrBodyHash, ErrSignature, ErrExpired, ErrFromNotSigned,
	// ErrBodyLength, ErrInvalid and ErrTooLarge.
	Err error
}

// Verified reports whether the signature verified.
func (r Result) Verified() bool { return r.Err == nil }

// Covers reports whether h= lists the header field name
// (case-insensitively).
func (r Result) Covers(name string) bool {
	for _, k := range r.HeaderKeys {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// String summarises the result on one line:
//
//	d=example.com s=s1 ed25519-sha256 relaxed/relaxed: verified, aligned (strict) with From example.com
func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "d=%s s=%s %s %s: ", r.Domain, r.Selector, r.Algorithm, r.Canonicalization)
	if r.Err != nil {
		fmt.Fprintf(&b, "not verified (%v)", r.Err)
	} else {
		b.WriteString("verified")
	}
	switch {
	case r.FromDomain == "":
		b.WriteString(", no From domain to align with")
	case r.Aligned == NotAligned:
		fmt.Fprintf(&b, ", not aligned with From %s", r.FromDomain)
	default:
		fmt.Fprintf(&b, ", aligned (%s) with From %s", r.Aligned, r.FromDomain)
	}
	if r.UnsignedBody > 0 {
		fmt.Fprintf(&b, "; l=%d leaves %d octets of the body unsigned", r.BodyLength, r.UnsignedBody)
	}
	if r.Err != nil {
		// What the signature says of itself, to see why it failed.
		keys := make([]string, len(r.HeaderKeys))
		for i, k := range r.HeaderKeys {
			keys[i] = k
			if strings.ContainsAny(k, " \t\r\n") {
				keys[i] = strconv.Quote(k)
			}
		}
		fmt.Fprintf(&b, "; as parsed: c=%s h=%s bh=%s", r.Canonicalization, strings.Join(keys, ":"), r.BodyHash)
		if r.BodyLength >= 0 {
			fmt.Fprintf(&b, " l=%d", r.BodyLength)
		}
		if len(r.Missing) > 0 {
			missing := make([]string, len(r.Missing))
			for i, k := range r.Missing {
				missing[i] = strconv.Quote(k)
			}
			fmt.Fprintf(&b, "; h= names fields the header lacks: %s", strings.Join(missing, ", "))
		}
	}
	return b.String()
}

// Verify checks every DKIM-Signature of a message (the bytes a client
// sent after DATA), top first, against the keys of ks, and returns one
// Result each; none for a message without signatures. It never looks up
// anything in DNS: a signature whose key ks lacks fails with [ErrNoKey]
// (a nil ks has no keys). The error is not nil only when the header
// cannot be read (no blank line ends it), or with [ErrTooManySignatures].
//
// A signature with a body length (l=) is verified over the octets it
// names and flagged in UnsignedBody when the body goes on after them.
func Verify(data []byte, ks *Keys) ([]Result, error) {
	fields, body, err := splitMessage(data)
	if err != nil {
		return nil, fmt.Errorf("dkimtest: %w", err)
	}
	var sigs []sigField
	for i, f := range fields {
		if strings.EqualFold(f.name(), "DKIM-Signature") {
			sigs = append(sigs, sigField{f, i})
		}
	}
	if len(sigs) == 0 {
		return nil, nil
	}
	var tooMany error
	if len(sigs) > MaxSignatures {
		sigs, tooMany = sigs[:MaxSignatures], fmt.Errorf("%w: %d, verified the first %d", ErrTooManySignatures, len(sigs), MaxSignatures)
	}
	from := fromDomain(fields)
	present := map[string]bool{}
	for _, f := range fields {
		present[strings.ToLower(f.name())] = true
	}
	results := make([]Result, len(sigs))
	for i, sig := range sigs {
		results[i] = describe(sig.field)
		for _, k := range results[i].HeaderKeys {
			if !present[strings.ToLower(k)] && !slices.Contains(results[i].Missing, k) {
				results[i].Missing = append(results[i].Missing, k)
			}
		}
		results[i].FromDomain = from
		results[i].Aligned = align(results[i].Domain, from)
	}
	handed, handedSigs := handOver(fields, sigs, results)
	if !slices.ContainsFunc(handedSigs, func(i int) bool { return results[i].Err == nil }) {
		return results, tooMany // nothing left to verify: spare the body hashing
	}
	verifs, err := dkim.VerifyWithOptions(io.MultiReader(bytes.NewReader(handed), bytes.NewReader(body)), &dkim.VerifyOptions{
		LookupTXT:        ks.lookupTXT,
		MaxVerifications: MaxSignatures,
	})
	if err != nil && !errors.Is(err, dkim.ErrTooManySignatures) {
		return nil, fmt.Errorf("dkimtest: %w", err)
	}
	if len(verifs) != len(handedSigs) {
		// Cannot happen: both read the header the same way.
		return nil, fmt.Errorf("dkimtest: go-msgauth found %d signatures, %d were handed to it", len(verifs), len(handedSigs))
	}
	for j, i := range handedSigs {
		r, v := &results[i], verifs[j]
		if r.Err != nil {
			continue // ErrTooLarge: it signs a field that was not handed over
		}
		r.Time, r.Expiration = v.Time, v.Expiration
		r.Err = reason(v.Err)
		if r.BodyLength >= 0 && v.Err != nil && strings.Contains(v.Err.Error(), "insecure body length tag") {
			// go-msgauth refuses every l= signature; it checked all
			// the rest (tags, key, algorithms) before that refusal.
			r.UnsignedBody, r.Err = verifyLength(fields, body, sigs[i].field, ks)
		}
	}
	return results, tooMany
}

// sigField is a DKIM-Signature field and where it stands in the header.
type sigField struct {
	field
	at int // index in the header's fields
}

// handOver returns the header go-msgauth is given to verify (the body
// follows it, as it is): the signatures within the limits, the fields their h= lists name (for each
// name, as many of its last instances as one signature lists it: no other
// can be picked, RFC 6376 5.4.2) in their order, and the body. A
// verifier reads nothing else, so the verdicts are those on the whole
// message; the work is bounded by the limits, not by the message.
//
// The signatures past a limit get ErrTooLarge in results, and so does a
// signature that signs a field past them (a DKIM-Signature among them).
// handed holds the others' fields, in order; its i-th DKIM-Signature is
// sigs[handedSigs[i]], and go-msgauth verifies every one of them.
func handOver(fields []field, sigs []sigField, results []Result) (handed []byte, handedSigs []int) {
	too := func(f field) bool { return len(f.raw) > MaxFieldBytes || f.lines > MaxFieldLines }
	sigOK := map[int]int{}    // header index -> index in sigs, of the signatures within the limits
	picks := map[string]int{} // the most instances of a lower-case name one signature picks
	for i, sig := range sigs {
		if too(sig.field) {
			results[i].Err = fmt.Errorf("%w: the DKIM-Signature field has %d bytes in %d lines (dkimtest verifies up to %d bytes in %d lines)",
				ErrTooLarge, len(sig.raw), sig.lines, MaxFieldBytes, MaxFieldLines)
			continue
		}
		if n := len(results[i].HeaderKeys); n > MaxSignedFields {
			results[i].Err = fmt.Errorf("%w: h= lists %d fields (dkimtest verifies signatures of up to %d)", ErrTooLarge, n, MaxSignedFields)
			continue
		}
		sigOK[sig.at] = i
		count := map[string]int{}
		for _, k := range results[i].HeaderKeys {
			count[strings.ToLower(k)]++
		}
		for k, n := range count {
			picks[k] = max(picks[k], n)
		}
	}
	// Which fields can be picked: the last picks[name] of each name.
	keep := make([]bool, len(fields))
	seen := map[string]int{}
	unfit := map[string]string{} // a name with a pickable field that cannot be handed over: why
	for i := len(fields) - 1; i >= 0; i-- {
		name := strings.ToLower(fields[i].name())
		if seen[name] >= picks[name] {
			continue
		}
		seen[name]++
		keep[i] = true
		_, ok := sigOK[i]
		switch {
		case too(fields[i]):
			unfit[name] = fmt.Sprintf("the signed field %s has %d bytes in %d lines (dkimtest verifies fields of up to %d bytes in %d lines)",
				quote(fields[i].name()), len(fields[i].raw), fields[i].lines, MaxFieldBytes, MaxFieldLines)
		case name == "dkim-signature" && !ok:
			unfit[name] = "it signs a DKIM-Signature that dkimtest does not verify (too large, or past the first " + fmt.Sprint(MaxSignatures) + ")"
		}
	}
	size := 0
	for at, i := range sigOK {
		for _, k := range results[i].HeaderKeys {
			if why, ok := unfit[strings.ToLower(k)]; ok {
				results[i].Err = fmt.Errorf("%w: %s", ErrTooLarge, why)
				break
			}
		}
		keep[at] = true
	}
	for i, f := range fields {
		if keep[i] && fits(f, i, too, sigOK) {
			size += len(f.raw)
		}
	}
	if size > maxHandedBytes {
		for _, i := range sigOK {
			if results[i].Err == nil {
				results[i].Err = fmt.Errorf("%w: the fields the signatures sign have %d bytes in all (dkimtest verifies up to %d)", ErrTooLarge, size, maxHandedBytes)
			}
		}
		return nil, nil
	}
	handed = make([]byte, 0, size+2)
	for i, f := range fields {
		if !keep[i] || !fits(f, i, too, sigOK) {
			continue
		}
		if j, ok := sigOK[i]; ok {
			handedSigs = append(handedSigs, j)
		}
		handed = append(handed, f.raw...)
	}
	return append(handed, "\r\n"...), handedSigs
}

// fits reports whether field i can be handed to go-msgauth: within the
// limits, and if a DKIM-Signature, one it is to verify.
func fits(f field, i int, too func(field) bool, sigOK map[int]int) bool {
	if too(f) {
		return false
	}
	if _, ok := sigOK[i]; !ok && strings.EqualFold(f.name(), "DKIM-Signature") {
		return false
	}
	return true
}

// describe reads what a signature says of itself; what it cannot read is
// left zero (verification then fails and says why).
func describe(sig field) Result {
	r := Result{BodyLength: -1, Canonicalization: "simple/simple"}
	tags, err := parseTags(sig.value())
	if err != nil {
		return r
	}
	r.Domain = stripSpace(tags["d"])
	r.Selector = stripSpace(tags["s"])
	r.Algorithm = stripSpace(tags["a"])
	r.Identifier = stripSpace(tags["i"])
	if r.Identifier == "" && r.Domain != "" {
		r.Identifier = "@" + r.Domain
	}
	if c, ok := tags["c"]; ok {
		h, b, _ := strings.Cut(stripSpace(c), "/")
		if b == "" {
			b = "simple"
		}
		r.Canonicalization = h + "/" + b
	}
	r.HeaderKeys = splitList(tags["h"])
	r.BodyHash = stripSpace(tags["bh"])
	if l, ok := tags["l"]; ok {
		if n, err := strconv.ParseInt(stripSpace(l), 10, 64); err == nil && n >= 0 {
			r.BodyLength = n
		}
	}
	return r
}

// reason turns go-msgauth's verdict into an error wrapping one of ours.
func reason(err error) error {
	if err == nil {
		return nil
	}
	text := strings.TrimPrefix(err.Error(), "dkim: ")
	kinds := []struct {
		marks []string
		kind  error
		say   string
	}{
		{[]string{"no key for signature", "no valid key found", "key unavailable", "key revoked", "multiple TXT records", "key syntax error", "key record error", "key is too short", "Ed25519 public key size", "unsupported key algorithm"}, ErrNoKey, "%s"},
		{[]string{"body hash did not verify"}, ErrBodyHash, "the body is not the one signed: changed in transit or after signing"},
		{[]string{"signature did not verify"}, ErrSignature, "the signed header fields are not the ones signed, or the key is not the signer's (%s)"},
		{[]string{"signature has expired"}, ErrExpired, "x= has passed"},
		{[]string{"From field not signed"}, ErrFromNotSigned, "a signature must cover From (RFC 6376 5.4)"},
		{[]string{"insecure body length tag"}, ErrInvalid, "%s"},
	}
	for _, k := range kinds {
		for _, m := range k.marks {
			if strings.Contains(text, m) {
				for _, p := range []string{"no key for signature: ", "signature did not verify: "} {
					text = strings.TrimPrefix(text, p)
				}
				text = strings.ReplaceAll(text, "dkim: ", "")
				if strings.Contains(k.say, "%s") {
					return fmt.Errorf("%w: "+k.say, k.kind, text)
				}
				return fmt.Errorf("%w: %s", k.kind, k.say)
			}
		}
	}
	return fmt.Errorf("%w: %s", ErrInvalid, text)
}
