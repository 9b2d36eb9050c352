// Package dkimtest makes DKIM keys for tests and verifies the DKIM
// signatures (RFC 6376, RFC 8463) of a message offline: the public keys
// come from a [Keys] registry the test fills, never from DNS.
//
// A test makes a key pair with [GenerateKey], configures the application
// under test with its private key ([Key.Signer], or [Key.PrivateKeyPEM]
// for an application that reads a file), registers the key, and checks
// what arrived with [Verify]: for each DKIM-Signature, which domain and
// selector signed, which header fields it covers, whether it verified and
// why not, and whether its domain aligns with the From domain (RFC 7489
// 3.1). Keys the application already has are registered with [ParseKey],
// from a PEM block or the text of the DNS TXT record.
//
// The cryptography is github.com/emersion/go-msgauth's. smtptest's Server
// holds a registry of its own (Server.DKIMKeys, Server.VerifyDKIM), the
// assert package checks signatures of received mail (assert.DKIM), and
// the lint package's bulk-sender profile checks them against the Gmail
// and Yahoo requirements (lint.DKIMKeys).
//
// Everything here is safe for concurrent use.
package dkimtest
