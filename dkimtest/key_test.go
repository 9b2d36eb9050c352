package dkimtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
)

func TestGenerateKey(t *testing.T) {
	for _, alg := range []Algorithm{RSA, Ed25519} {
		k := keyOf(t, "example.com", "s1", alg)
		if k.Algorithm != alg || k.Signer == nil || k.Public == nil {
			t.Fatalf("%s: %+v", alg, k)
		}
		txt := k.TXT()
		if !strings.HasPrefix(txt, "v=DKIM1; k="+string(alg)+"; p=") {
			t.Errorf("TXT() = %q", txt)
		}
		// Every form the key can be handed out in reads back as the same key.
		for name, rec := range map[string][]byte{
			"TXT":         []byte(txt),
			"zone file":   []byte(`"` + txt[:20] + `" "` + txt[20:] + `"`),
			"public PEM":  k.PublicKeyPEM(),
			"private PEM": k.PrivateKeyPEM(),
		} {
			p, err := ParseKey("example.com", "s1", rec)
			if err != nil {
				t.Errorf("%s %s: %v", alg, name, err)
				continue
			}
			if p.Algorithm != alg || p.TXT() != txt {
				t.Errorf("%s %s: read back %s %q", alg, name, p.Algorithm, p.TXT())
			}
			if (name == "private PEM") != (p.Signer != nil) {
				t.Errorf("%s %s: Signer = %v", alg, name, p.Signer)
			}
		}
	}
	if _, err := GenerateKey("example.com", "s", "dsa"); err == nil || !strings.Contains(err.Error(), `"dsa"`) {
		t.Errorf("unknown algorithm: %v", err)
	}
}

func TestParseKeyErrors(t *testing.T) {
	// Go makes no RSA keys under 1024 bits; a public one is only numbers.
	smallDER, _ := x509.MarshalPKIXPublicKey(&rsa.PublicKey{N: new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 511), big.NewInt(1)), E: 65537})
	pkcs1, _ := rsa.GenerateKey(rand.Reader, 1024)
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	edDER, _ := x509.MarshalPKCS8PrivateKey(edPriv)
	ok := map[string]string{
		"RSA PRIVATE KEY": string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(pkcs1)})),
		"RSA PUBLIC KEY":  string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&pkcs1.PublicKey)})),
		"Ed25519 PKCS 8":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edDER})),
		"no v= or k=":     "p=" + strings.TrimPrefix(keyOf(t, "x", "y", RSA).TXT(), "v=DKIM1; k=rsa; p="),
	}
	for name, rec := range ok {
		if _, err := ParseKey("example.com", "s", []byte(rec)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, c := range []struct{ domain, selector, record, want string }{
		{"", "s", "p=AAAA", "domain"},
		{"example.com", "a b", "p=AAAA", "selector"},
		{"example.com", "s", "v=DKIM1; k=rsa", "no p="},
		{"example.com", "s", "v=DKIM1; k=rsa; p=", "revoked"},
		{"example.com", "s", "v=DKIM2; p=AAAA", "DKIM1"},
		{"example.com", "s", "v=DKIM1; k=rsa; p=!!!", "base64"},
		{"example.com", "s", "v=DKIM1; k=rsa; p=AAAA", "not an RSA public key"},
		{"example.com", "s", "v=DKIM1; k=ed25519; p=AAAA", "Ed25519"},
		{"example.com", "s", "v=DKIM1; k=dsa; p=AAAA", "k=dsa"},
		{"example.com", "s", "v=DKIM1; k", "without ="},
		{"example.com", "s", "v=DKIM1; v=DKIM1; p=AAAA", "twice"},
		{"example.com", "s", "k=rsa; p=" + b64(smallDER), "512 bits"},
		{"example.com", "s", "-----BEGIN PUBLIC KEY-----\nAAAA\n", "not a PEM block"},
		{"example.com", "s", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "not a key"},
		{"example.com", "s", ok["RSA PUBLIC KEY"] + ok["RSA PUBLIC KEY"], "more than one"},
	} {
		_, err := ParseKey(c.domain, c.selector, []byte(c.record))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "dkimtest: ") {
			t.Errorf("ParseKey(%q, %q, %.40q) = %v, want an error with %q", c.domain, c.selector, c.record, err, c.want)
		}
	}
}

func b64(b []byte) string {
	return strings.TrimPrefix((&Key{Algorithm: Ed25519, Public: ed25519.PublicKey(b)}).TXT(), "v=DKIM1; k=ed25519; p=")
}

func TestKeysRegistry(t *testing.T) {
	var ks Keys
	a := keyOf(t, "Example.COM", "S1", Ed25519)
	ks.Add(a)
	a.Domain = "changed.example" // the registry kept a copy
	if k, ok := ks.Lookup("example.com", "s1"); !ok || k.Domain != "Example.COM" {
		t.Errorf("Lookup = %v, %v", k, ok)
	}
	b := keyOf(t, "example.com", "s1", Ed25519)
	ks.Add(b) // replaces
	if all := ks.All(); len(all) != 1 || all[0].TXT() != b.TXT() {
		t.Errorf("All = %v", all)
	}
	var nilKeys *Keys
	if _, ok := nilKeys.Lookup("example.com", "s1"); ok || nilKeys.All() != nil {
		t.Error("a nil *Keys is not empty")
	}
}
