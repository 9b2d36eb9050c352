package dkimtest

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// Algorithm is a DKIM key type, as the k= tag of a key record names it.
type Algorithm string

// The key types DKIM verifiers support.
const (
	RSA     Algorithm = "rsa"     // RSA, 2048 bits when generated here (RFC 6376, RFC 8301)
	Ed25519 Algorithm = "ed25519" // Ed25519 (RFC 8463): fast to make, short records
)

// A Key is a DKIM key of one domain and selector: the public half that
// verifiers look up at <selector>._domainkey.<domain>, and the private
// half that signs, when known. Changing a Key's fields after it was added
// to a [Keys] does not change the registry.
type Key struct {
	Domain    string           // the signing domain, d=
	Selector  string           // the selector, s=
	Algorithm Algorithm        // the key type, k=
	Public    crypto.PublicKey // *rsa.PublicKey or ed25519.PublicKey
	// Signer is the private key, for the application under test to sign
	// with (go-msgauth's dkim.SignOptions.Signer, for one); nil for a key
	// parsed from a public key or a key record.
	Signer crypto.Signer

	record string // the key record as given, or as TXT makes it
}

// GenerateKey makes a new key pair of type alg for domain and selector.
// Ed25519 keys take microseconds; RSA keys (2048 bits) tens of
// milliseconds, more under the race detector, so a test that makes many
// should prefer Ed25519 unless the application only signs with RSA.
func GenerateKey(domain, selector string, alg Algorithm) (*Key, error) {
	if err := checkName(domain, selector); err != nil {
		return nil, err
	}
	k := &Key{Domain: domain, Selector: selector, Algorithm: alg}
	switch alg {
	case RSA:
		priv, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("dkimtest: generating an RSA key: %w", err)
		}
		k.Public, k.Signer = &priv.PublicKey, priv
	case Ed25519:
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("dkimtest: generating an Ed25519 key: %w", err)
		}
		k.Public, k.Signer = pub, priv
	default:
		return nil, fmt.Errorf("dkimtest: unknown key algorithm %q (want %q or %q)", alg, RSA, Ed25519)
	}
	return k, nil
}

// ParseKey reads a key the application already has, for domain and
// selector. record is one of:
//
//   - the text of the DNS TXT record, "v=DKIM1; k=rsa; p=MIIBIj..."
//     (the quoted strings of a zone file, "v=DKIM1; k=rsa; " "p=...",
//     are joined);
//   - a PEM block of the public key ("PUBLIC KEY", "RSA PUBLIC KEY");
//   - a PEM block of the private key ("PRIVATE KEY", "RSA PRIVATE KEY"),
//     which also sets [Key.Signer].
//
// A key record is kept as it is given, tags such as h= and t= included,
// so verification sees what DNS would have served.
func ParseKey(domain, selector string, record []byte) (*Key, error) {
	if err := checkName(domain, selector); err != nil {
		return nil, err
	}
	k := &Key{Domain: domain, Selector: selector}
	text := bytes.TrimSpace(record)
	var err error
	if bytes.HasPrefix(text, []byte("-----BEGIN")) {
		err = k.parsePEM(text)
	} else {
		k.record = joinQuoted(string(text))
		k.Algorithm, k.Public, err = parseRecord(k.record)
	}
	if err != nil {
		return nil, fmt.Errorf("dkimtest: key for %s: %w", k.name(), err)
	}
	return k, nil
}

// TXT returns the DNS TXT record that publishes the public key:
// "v=DKIM1; k=ed25519; p=...", to be served at
// <selector>._domainkey.<domain>.
func (k *Key) TXT() string {
	if k.record != "" {
		return k.record
	}
	var p []byte
	switch pub := k.Public.(type) {
	case ed25519.PublicKey:
		p = pub
	default:
		p, _ = x509.MarshalPKIXPublicKey(pub) // an *rsa.PublicKey cannot fail
	}
	return fmt.Sprintf("v=DKIM1; k=%s; p=%s", k.Algorithm, base64.StdEncoding.EncodeToString(p))
}

// PrivateKeyPEM returns the private key as a PKCS #8 PEM block ("PRIVATE
// KEY"), for an application that reads its key from a file; nil if the
// key has no private half.
func (k *Key) PrivateKeyPEM() []byte {
	if k.Signer == nil {
		return nil
	}
	der, err := x509.MarshalPKCS8PrivateKey(k.Signer)
	if err != nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// PublicKeyPEM returns the public key as a PKIX PEM block ("PUBLIC KEY").
func (k *Key) PublicKeyPEM() []byte {
	der, err := x509.MarshalPKIXPublicKey(k.Public)
	if err != nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// String names the key: "ed25519 key s1._domainkey.example.com".
func (k *Key) String() string { return fmt.Sprintf("%s key %s", k.Algorithm, k.name()) }

// name is the DNS name the key is published under.
func (k *Key) name() string { return recordName(k.Domain, k.Selector) }

func recordName(domain, selector string) string {
	return strings.ToLower(selector + "._domainkey." + strings.TrimSuffix(domain, "."))
}

func checkName(domain, selector string) error {
	for _, s := range []struct{ what, v string }{{"domain", domain}, {"selector", selector}} {
		if s.v == "" || strings.ContainsAny(s.v, " \t\r\n;=") {
			return fmt.Errorf("dkimtest: %s %q is not a DNS name", s.what, s.v)
		}
	}
	return nil
}

func (k *Key) parsePEM(text []byte) error {
	block, rest := pem.Decode(text)
	if block == nil {
		return errors.New("not a PEM block")
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return errors.New("more than one PEM block")
	}
	var pub any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "PRIVATE KEY", "RSA PRIVATE KEY":
		var priv any
		if block.Type == "PRIVATE KEY" {
			priv, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		} else {
			priv, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		}
		if s, ok := priv.(crypto.Signer); ok && err == nil {
			k.Signer, pub = s, s.Public()
		}
	default:
		return fmt.Errorf("PEM block %q is not a key (want PUBLIC KEY, RSA PUBLIC KEY, PRIVATE KEY or RSA PRIVATE KEY)", block.Type)
	}
	if err != nil {
		return err
	}
	k.Algorithm, k.Public, err = checkPublic(pub)
	return err
}

// parseRecord reads a key record (RFC 6376 3.6.1) the way a verifier would.
func parseRecord(record string) (Algorithm, crypto.PublicKey, error) {
	tags, err := parseTags(record)
	if err != nil {
		return "", nil, err
	}
	if v, ok := tags["v"]; ok && v != "DKIM1" {
		return "", nil, fmt.Errorf("key record version %q is not DKIM1", v)
	}
	p, ok := tags["p"]
	if !ok {
		return "", nil, errors.New("key record has no p= tag")
	}
	if p == "" {
		return "", nil, errors.New("key record is revoked (empty p=)")
	}
	der, err := base64.StdEncoding.DecodeString(stripSpace(p))
	if err != nil {
		return "", nil, fmt.Errorf("key record p= is not base64: %w", err)
	}
	switch Algorithm(tags["k"]) {
	case RSA, "":
		pub, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			// RFC 6376 erratum 3017: some publish RSAPublicKey, not
			// SubjectPublicKeyInfo.
			if pub1, err1 := x509.ParsePKCS1PublicKey(der); err1 == nil {
				pub, err = pub1, nil
			}
		}
		if err != nil {
			return "", nil, fmt.Errorf("key record p= is not an RSA public key: %w", err)
		}
		return checkPublic(pub)
	case Ed25519:
		if len(der) != ed25519.PublicKeySize {
			return "", nil, fmt.Errorf("key record p= has %d bytes, an Ed25519 key %d", len(der), ed25519.PublicKeySize)
		}
		return Ed25519, ed25519.PublicKey(der), nil
	default:
		return "", nil, fmt.Errorf("key record k=%s is not rsa or ed25519", tags["k"])
	}
}

func checkPublic(pub any) (Algorithm, crypto.PublicKey, error) {
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		if pub.N.BitLen() < 1024 {
			// RFC 8301 3.2: verifiers must not accept them.
			return "", nil, fmt.Errorf("RSA key of %d bits: verifiers refuse keys under 1024 bits", pub.N.BitLen())
		}
		return RSA, pub, nil
	case ed25519.PublicKey:
		return Ed25519, pub, nil
	default:
		return "", nil, fmt.Errorf("a %T is not an RSA or Ed25519 key", pub)
	}
}

// joinQuoted joins the strings of a zone-file TXT record, `"a" "b"`, into
// one; other text comes back as it is.
func joinQuoted(s string) string {
	if !strings.HasPrefix(s, `"`) {
		return s
	}
	// The pieces at odd positions of a split at quotes are inside strings.
	parts := strings.Split(s, `"`)
	var b strings.Builder
	for i := 1; i < len(parts); i += 2 {
		b.WriteString(parts[i])
	}
	return b.String()
}
