package dkimtest_test

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/smtptest/smtptest/dkimtest"
)

// An application signs with a key made for the test; Verify checks the
// signature against the registered public key, without DNS.
func ExampleVerify() {
	key, err := dkimtest.GenerateKey("example.com", "s1", dkimtest.Ed25519)
	if err != nil {
		panic(err)
	}
	var keys dkimtest.Keys
	keys.Add(key)

	// The application under test signs with key.Signer (or reads
	// key.PrivateKeyPEM() from a file).
	msg := "From: News <news@example.com>\r\nTo: ann@example.org\r\nSubject: Hi\r\n\r\nHello\r\n"
	var signed bytes.Buffer
	err = dkim.Sign(&signed, strings.NewReader(msg), &dkim.SignOptions{
		Domain: "example.com", Selector: "s1", Signer: key.Signer,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
		HeaderKeys: []string{"From", "To", "Subject"},
	})
	if err != nil {
		panic(err)
	}

	results, err := dkimtest.Verify(signed.Bytes(), &keys)
	if err != nil {
		panic(err)
	}
	for _, r := range results {
		fmt.Println(r)
		fmt.Println("covers Subject:", r.Covers("Subject"), "- covers Date:", r.Covers("Date"))
	}

	// In transit, someone changes the body.
	tampered := bytes.Replace(signed.Bytes(), []byte("Hello"), []byte("Hellö"), 1)
	results, _ = dkimtest.Verify(tampered, &keys)
	fmt.Println(results[0].Err)
	// Output:
	// d=example.com s=s1 ed25519-sha256 relaxed/relaxed: verified, aligned (strict) with From example.com
	// covers Subject: true - covers Date: false
	// body hash mismatch: the body is not the one signed: changed in transit or after signing
}

// A key the application already has is registered from its DNS record
// (or a PEM block).
func ExampleParseKey() {
	key, err := dkimtest.ParseKey("example.com", "2024", []byte(
		`"v=DKIM1; k=ed25519; " "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="`))
	if err != nil {
		panic(err)
	}
	fmt.Println(key)
	fmt.Println(key.TXT())
	// Output:
	// ed25519 key 2024._domainkey.example.com
	// v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=
}

// NewKeys makes a registry holding the keys given: the stand-in for the
// DNS records of the domains a test signs for.
func ExampleNewKeys() {
	news, err := dkimtest.GenerateKey("example.com", "news", dkimtest.Ed25519)
	if err != nil {
		panic(err)
	}
	keys := dkimtest.NewKeys(news)
	k, ok := keys.Lookup("example.com", "news")
	fmt.Println(ok, k.Domain, k.Selector, len(keys.All()))
	// Output:
	// true example.com news 1
}
