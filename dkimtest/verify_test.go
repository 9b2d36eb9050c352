package dkimtest

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
)

const plain = "From: Ann <ann@example.com>\r\n" +
	"To: bob@example.org\r\n" +
	"Subject: Hello\r\n" +
	"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n" +
	"Message-ID: <hello-1@example.com>\r\n" +
	"List-Unsubscribe: <https://example.com/u/1>\r\n" +
	"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" +
	"\r\n" +
	"Hello Bob,\r\n" +
	"see you  at noon.\r\n"

// keyOf makes a key, failing the test if it cannot.
func keyOf(t testing.TB, domain, selector string, alg Algorithm) *Key {
	t.Helper()
	k, err := GenerateKey(domain, selector, alg)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sign signs msg with go-msgauth, as an application would.
func sign(t testing.TB, msg string, k *Key, edit func(*dkim.SignOptions)) string {
	t.Helper()
	o := &dkim.SignOptions{Domain: k.Domain, Selector: k.Selector, Signer: k.Signer}
	if edit != nil {
		edit(o)
	}
	var out bytes.Buffer
	if err := dkim.Sign(&out, strings.NewReader(msg), o); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func relaxed(o *dkim.SignOptions) {
	o.HeaderCanonicalization, o.BodyCanonicalization = dkim.CanonicalizationRelaxed, dkim.CanonicalizationRelaxed
}

func verifyOne(t *testing.T, msg string, ks *Keys) Result {
	t.Helper()
	rs, err := Verify([]byte(msg), ks)
	if err != nil || len(rs) != 1 {
		t.Fatalf("Verify = %v, %v; want one result", rs, err)
	}
	return rs[0]
}

func TestVerify(t *testing.T) {
	rsa := keyOf(t, "example.com", "rsa1", RSA)
	ed := keyOf(t, "example.com", "ed1", Ed25519)
	var ks Keys
	ks.Add(rsa, ed)
	for _, k := range []*Key{rsa, ed} {
		for _, c := range []struct {
			name string
			edit func(*dkim.SignOptions)
			want string
		}{
			{"simple", nil, "simple/simple"},
			{"relaxed", relaxed, "relaxed/relaxed"},
		} {
			t.Run(string(k.Algorithm)+"/"+c.name, func(t *testing.T) {
				signed := sign(t, plain, k, c.edit)
				r := verifyOne(t, signed, &ks)
				if !r.Verified() {
					t.Fatalf("not verified: %v", r)
				}
				if r.Domain != "example.com" || r.Selector != k.Selector || r.Canonicalization != c.want ||
					r.Algorithm != string(k.Algorithm)+"-sha256" || r.BodyLength != -1 || r.UnsignedBody != 0 ||
					r.Aligned != Strict || r.FromDomain != "example.com" || r.Identifier != "@example.com" || r.Time.IsZero() {
					t.Errorf("result %+v", r)
				}
				for _, h := range []string{"From", "subject", "List-Unsubscribe-Post"} {
					if !r.Covers(h) {
						t.Errorf("Covers(%q) = false; h=%v", h, r.HeaderKeys)
					}
				}
				if r.Covers("Sender") {
					t.Errorf("Covers(Sender) = true")
				}

				// One byte of the body changed in transit.
				body := strings.Replace(signed, "noon", "nOon", 1)
				if r := verifyOne(t, body, &ks); !errors.Is(r.Err, ErrBodyHash) {
					t.Errorf("body changed: %v", r)
				}
				// A signed header field changed.
				subj := strings.Replace(signed, "Subject: Hello", "Subject: Hellp", 1)
				if r := verifyOne(t, subj, &ks); !errors.Is(r.Err, ErrSignature) {
					t.Errorf("Subject changed: %v", r)
				}
			})
		}
	}
}

func TestVerifyRelaxedSurvivesWhitespace(t *testing.T) {
	k := keyOf(t, "example.com", "s", Ed25519)
	var ks Keys
	ks.Add(k)
	signed := sign(t, plain, k, relaxed)
	// What relaxed canonicalization forgives: case of names, folding,
	// white space runs, trailing white space and empty lines.
	moved := strings.Replace(signed, "Subject: Hello", "subject:   Hello \r\n ", 1)
	moved = strings.Replace(moved, "see you  at noon.\r\n", "see you \t at noon.  \r\n\r\n\r\n", 1)
	if r := verifyOne(t, moved, &ks); !r.Verified() {
		t.Errorf("relaxed: %v", r)
	}
}

func TestVerifyNoKey(t *testing.T) {
	k := keyOf(t, "example.com", "s1", Ed25519)
	other := keyOf(t, "example.com", "s2", Ed25519)
	var ks Keys
	ks.Add(other)
	r := verifyOne(t, sign(t, plain, k, nil), &ks)
	if !errors.Is(r.Err, ErrNoKey) || !strings.Contains(r.Err.Error(), "s1._domainkey.example.com") ||
		!strings.Contains(r.Err.Error(), "registered: s2._domainkey.example.com") {
		t.Errorf("unknown selector: %v", r.Err)
	}
	if r := verifyOne(t, sign(t, plain, k, nil), nil); !errors.Is(r.Err, ErrNoKey) {
		t.Errorf("nil Keys: %v", r.Err)
	}
	// A key registered under the right name but not the signer's.
	ks.Add(&Key{Domain: "example.com", Selector: "s1", Algorithm: Ed25519, Public: other.Public})
	if r := verifyOne(t, sign(t, plain, k, nil), &ks); !errors.Is(r.Err, ErrSignature) {
		t.Errorf("wrong key: %v", r.Err)
	}
	ks.Remove("EXAMPLE.com", "S1")
	if r := verifyOne(t, sign(t, plain, k, nil), &ks); !errors.Is(r.Err, ErrNoKey) {
		t.Errorf("after Remove: %v", r.Err)
	}
}

// TestVerifyNeverUsesDNS makes every DNS lookup of this process fail the
// test, then verifies signatures whose keys are and are not registered.
func TestVerifyNeverUsesDNS(t *testing.T) {
	var dials atomic.Int32
	saved := net.DefaultResolver
	net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		dials.Add(1)
		return nil, errors.New("no DNS in this test")
	}}
	t.Cleanup(func() { net.DefaultResolver = saved })
	// The trap works: a lookup outside the registry reaches it.
	if _, err := net.LookupTXT("s1._domainkey.example.com"); err == nil || dials.Load() == 0 {
		t.Fatalf("the resolver trap did not catch a lookup: %v", err)
	}
	dials.Store(0)

	k := keyOf(t, "example.com", "s1", Ed25519)
	unknown := keyOf(t, "unknown.example", "s9", Ed25519)
	var ks Keys
	ks.Add(k)
	msg := sign(t, sign(t, plain, k, nil), unknown, nil)
	rs, err := Verify([]byte(msg), &ks)
	if err != nil || len(rs) != 2 || !errors.Is(rs[0].Err, ErrNoKey) || !rs[1].Verified() {
		t.Fatalf("Verify = %v, %v", rs, err)
	}
	if n := dials.Load(); n != 0 {
		t.Errorf("%d DNS lookups escaped the registry", n)
	}
}

func TestVerifyExpired(t *testing.T) {
	k := keyOf(t, "example.com", "s", Ed25519)
	var ks Keys
	ks.Add(k)
	msg := sign(t, plain, k, func(o *dkim.SignOptions) { o.Expiration = time.Now().Add(-time.Hour) })
	r := verifyOne(t, msg, &ks)
	if !errors.Is(r.Err, ErrExpired) || r.Expiration.IsZero() {
		t.Errorf("expired: %v (x=%v)", r, r.Expiration)
	}
}

func TestVerifyFromNotSigned(t *testing.T) {
	k := keyOf(t, "example.com", "s", Ed25519)
	var ks Keys
	ks.Add(k)
	msg := sign(t, plain, k, func(o *dkim.SignOptions) { o.HeaderKeys = []string{"From", "Subject"} })
	msg = strings.Replace(msg, "h=From:Subject", "h=Subject", 1)
	if !strings.Contains(msg, "h=Subject;") {
		t.Fatalf("the test could not edit h=:\n%s", msg)
	}
	if r := verifyOne(t, msg, &ks); !errors.Is(r.Err, ErrFromNotSigned) {
		t.Errorf("From not in h=: %v", r)
	}
}

func TestVerifyAlignment(t *testing.T) {
	for _, c := range []struct {
		from, d string
		want    Alignment
	}{
		{"ann@example.com", "example.com", Strict},
		{"ann@EXAMPLE.com", "example.com", Strict},
		{"ann@mail.example.com", "example.com", Relaxed},
		{"ann@example.com", "news.example.com", Relaxed},
		{"ann@example.co.uk", "other.co.uk", NotAligned}, // co.uk is a public suffix
		{"ann@a.example.co.uk", "b.example.co.uk", Relaxed},
		{"ann@example.org", "example.com", NotAligned},
		{"ann@example.com", "com", NotAligned},
	} {
		k := keyOf(t, c.d, "s", Ed25519)
		var ks Keys
		ks.Add(k)
		msg := strings.Replace(plain, "ann@example.com", c.from, 1)
		r := verifyOne(t, sign(t, msg, k, nil), &ks)
		if r.Aligned != c.want || !r.Verified() {
			t.Errorf("From %s, d=%s: %v; want %v", c.from, c.d, r, c.want)
		}
	}
	for _, from := range []string{
		"From: a@example.com\r\nFrom: b@example.com\r\n",  // two From fields
		"From: a@example.com, b@example.org\r\n",          // two domains
		"From: =?x-unknown?q?Ann?= <ann@example.com>\r\n", // a name in a charset nobody knows: still example.com
	} {
		fields, _, _ := splitMessage([]byte(from + "\r\n"))
		got := fromDomain(fields)
		want := ""
		if strings.Contains(from, "x-unknown") {
			want = "example.com"
		}
		if got != want {
			t.Errorf("fromDomain(%q) = %q, want %q", from, got, want)
		}
	}
}

// The l= vectors were signed by dkimpy 1.1.4 (Debian's python3-dkim), then
// had text appended: a verifier other than go-msgauth and this package
// made them.
func TestVerifyBodyLength(t *testing.T) {
	for _, c := range []struct {
		file, domain, selector, from string
		aligned                      Alignment
		signed                       int64
	}{
		{"length-ed25519", "example.com", "news", "example.com", Strict, 31},
		{"length-rsa", "example.net", "alerts", "mail.example.net", Relaxed, 20},
	} {
		t.Run(c.file, func(t *testing.T) {
			msg, err := os.ReadFile("testdata/" + c.file + ".eml")
			if err != nil {
				t.Fatal(err)
			}
			record, err := os.ReadFile("testdata/" + c.file + ".txt")
			if err != nil {
				t.Fatal(err)
			}
			k, err := ParseKey(c.domain, c.selector, record)
			if err != nil {
				t.Fatal(err)
			}
			var ks Keys
			ks.Add(k)
			r := verifyOne(t, string(msg), &ks)
			if !r.Verified() || r.BodyLength != c.signed || r.UnsignedBody <= 0 || r.Aligned != c.aligned || r.FromDomain != c.from {
				t.Errorf("%v\n%+v", r, r)
			}
			if !strings.Contains(r.String(), "octets of the body unsigned") {
				t.Errorf("String() = %q", r)
			}
			// What the signature covers is still checked.
			for _, edit := range []struct {
				old, new string
				want     error
			}{
				{"\r\n\r\n", "\r\n\r\nX", ErrBodyHash},   // the first signed byte
				{"Date: Tue", "Date: Wed", ErrSignature}, // a signed field
				{"l=" + strconv.FormatInt(c.signed, 10) + ";", "l=9999;", ErrBodyLength},
			} {
				bad := strings.Replace(string(msg), edit.old, edit.new, 1)
				if r := verifyOne(t, bad, &ks); !errors.Is(r.Err, edit.want) {
					t.Errorf("%q -> %q: %v, want %v", edit.old, edit.new, r.Err, edit.want)
				}
			}
			// Longer than the body.
			short := string(msg[:bytes.Index(msg, []byte("\r\n\r\n"))+4])
			if r := verifyOne(t, short, &ks); !errors.Is(r.Err, ErrBodyLength) {
				t.Errorf("body shorter than l=: %v", r.Err)
			}
		})
	}
}

// TestFailureSaysWhatTheSignatureSays: a signature whose h= is folded
// inside a field name (as go-mail wrote "List-Unsubsc" CRLF " ribe")
// fails, and the result shows the tags as parsed and the name no field
// has.
func TestFailureSaysWhatTheSignatureSays(t *testing.T) {
	k := keyOf(t, "example.com", "s1", Ed25519)
	var ks Keys
	ks.Add(k)
	signed := sign(t, plain, k, func(o *dkim.SignOptions) {
		relaxed(o)
		o.HeaderKeys = []string{"From", "Subject", "List-Unsubscribe"}
	})
	broken := strings.Replace(signed, "list-unsubscribe", "list-unsubsc\r\n ribe", 1)
	if broken == signed {
		broken = strings.Replace(signed, "List-Unsubscribe;", "List-Unsubsc\r\n ribe;", 1)
	}
	if broken == signed {
		t.Fatalf("no h= entry to fold in:\n%s", signed)
	}
	r := verifyOne(t, broken, &ks)
	if r.Err == nil {
		t.Fatal("verified")
	}
	s := r.String()
	for _, want := range []string{"as parsed: c=relaxed/relaxed h=", `ribe"`, "bh=" + r.BodyHash, "h= names fields the header lacks:"} {
		if !strings.Contains(s, want) {
			t.Errorf("String() = %s\nwant it to say %q", s, want)
		}
	}
	if len(r.Missing) != 1 || !strings.Contains(r.Missing[0], "ribe") {
		t.Errorf("Missing = %q", r.Missing)
	}
	if ok := verifyOne(t, signed, &ks); ok.Err != nil || len(ok.Missing) != 0 || strings.Contains(ok.String(), "as parsed") {
		t.Errorf("the intact signature: %v, missing %q", ok, ok.Missing)
	}
}
