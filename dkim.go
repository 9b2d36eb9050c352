package smtptest

import (
	"strings"

	"github.com/smtptest/smtptest/dkimtest"
)

// DKIMKeys returns the server's registry of DKIM public keys, which
// [Server.VerifyDKIM] and assert.DKIM check signatures against (never
// DNS). Keys may be added and removed while the server runs; a key
// registered after a message arrived still verifies it.
func (s *Server) DKIMKeys() *dkimtest.Keys { return &s.dkim }

// NewDKIMKey makes a DKIM key pair of type alg for domain and selector,
// registers its public key with the server and returns it: configure the
// application under test with its private key, [dkimtest.Key.Signer] or
// [dkimtest.Key.PrivateKeyPEM]. It panics (prefixed "smtptest: ") when
// domain or selector is not a DNS name or alg is unknown, as [Server.Inject]
// does with an invalid fault. An Ed25519 key takes microseconds, an RSA
// key tens of milliseconds.
//
// A key the application already has is registered with
// [dkimtest.ParseKey] and s.DKIMKeys().Add.
func (s *Server) NewDKIMKey(domain, selector string, alg dkimtest.Algorithm) *dkimtest.Key {
	k, err := dkimtest.GenerateKey(domain, selector, alg)
	if err != nil {
		panic("smtptest: " + strings.TrimPrefix(err.Error(), "dkimtest: "))
	}
	s.dkim.Add(k)
	return k
}

// VerifyDKIM verifies the DKIM signatures of m against the keys
// registered with the server (see [dkimtest.Verify]): one result each,
// top first; none if m is not signed.
func (s *Server) VerifyDKIM(m *Message) ([]dkimtest.Result, error) {
	return dkimtest.Verify(m.Data, &s.dkim)
}
