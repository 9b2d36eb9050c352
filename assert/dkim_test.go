package assert_test

import (
	"bytes"
	"net/smtp"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/assert"
	"github.com/smtptest/smtptest/dkimtest"
)

const bulk = "Date: Tue, 01 Dec 2026 20:00:00 +0000\r\n" +
	"From: News <news@example.com>\r\n" +
	"To: ann@example.org\r\n" +
	"Subject: Weekly\r\n" +
	"Message-ID: <weekly-1@example.com>\r\n" +
	"List-Unsubscribe: <https://example.com/u/1>\r\n" +
	"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" +
	"\r\n" +
	"Hello Ann.\r\n"

func signWith(t *testing.T, msg string, k *dkimtest.Key, headers ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := dkim.Sign(&out, strings.NewReader(msg), &dkim.SignOptions{Domain: k.Domain, Selector: k.Selector, Signer: k.Signer, HeaderKeys: headers}); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestDKIM(t *testing.T) {
	unsub := []string{"Subject", "List-Unsubscribe", "List-Unsubscribe-Post"}
	newServer := func(t *testing.T, msgs ...func(srv *smtptest.Server) string) *smtptest.Server {
		srv := smtptest.NewServer(t)
		for _, m := range msgs {
			if err := smtp.SendMail(srv.Addr(), nil, "news@example.com", []string{"ann@example.org"}, []byte(m(srv))); err != nil {
				t.Fatal(err)
			}
		}
		return srv
	}
	good := func(srv *smtptest.Server) string {
		k, ok := srv.DKIMKeys().Lookup("example.com", "s1")
		if !ok {
			k = srv.NewDKIMKey("example.com", "s1", dkimtest.Ed25519)
		}
		return signWith(t, bulk, k)
	}
	srv := newServer(t, good, good)
	wantPass(t, func(t testing.TB) bool { return assert.DKIM(t, srv, "example.com", unsub...) })
	wantPass(t, func(t testing.TB) bool { return assert.DKIM(t, srv, "", "date") })
	wantFail(t, func(t testing.TB) bool { return assert.DKIM(t, srv, "other.example") },
		"assert.DKIM: 2 of 2 message(s) have no valid signature by other.example, aligned with From, covering From:",
		"d=example.com s=s1 ed25519-sha256 simple/simple: verified, aligned (strict) with From example.com; by example.com, not other.example")

	// The unsubscribe headers left out of h=.
	partial := newServer(t, func(srv *smtptest.Server) string {
		return signWith(t, bulk, srv.NewDKIMKey("example.com", "s1", dkimtest.Ed25519), "From", "To", "Subject")
	})
	wantPass(t, func(t testing.TB) bool { return assert.DKIM(t, partial, "example.com", "Subject") })
	wantFail(t, func(t testing.TB) bool { return assert.DKIM(t, partial, "example.com", unsub...) },
		"covering From, Subject, List-Unsubscribe, List-Unsubscribe-Post:",
		"; h= does not list List-Unsubscribe, List-Unsubscribe-Post")

	// Unsigned, signed by a key the server does not know, signed by an
	// unaligned domain, and changed after signing.
	bad := newServer(t,
		func(*smtptest.Server) string { return bulk },
		func(*smtptest.Server) string {
			k, _ := dkimtest.GenerateKey("example.com", "unknown", dkimtest.Ed25519)
			return signWith(t, bulk, k)
		},
		func(srv *smtptest.Server) string {
			return signWith(t, bulk, srv.NewDKIMKey("esp.example", "s1", dkimtest.Ed25519))
		},
		func(srv *smtptest.Server) string {
			return strings.Replace(signWith(t, bulk, srv.NewDKIMKey("example.com", "s2", dkimtest.RSA)), "Hello", "Hallo", 1)
		},
	)
	out := wantFail(t, func(t testing.TB) bool { return assert.DKIM(t, bad, "") },
		"4 of 4 message(s) have no valid signature by the From domain",
		"message 1 (from <news@example.com> to <ann@example.org>", "no DKIM-Signature",
		"message 2", "not verified (no key: no key registered for unknown._domainkey.example.com (registered: s1._domainkey.esp.example, s2._domainkey.example.com))",
		"message 3", "d=esp.example s=s1 ed25519-sha256 simple/simple: verified, not aligned with From example.com",
		"message 4", "not verified (body hash mismatch")
	if strings.Contains(out, "; by ") {
		t.Errorf("with domain \"\", no signature is refused for its domain:\n%s", out)
	}

	// Nothing to check fails too.
	wantFail(t, func(t testing.TB) bool { return assert.DKIM(t, smtptest.NewServer(t), "example.com") },
		"assert.DKIM: no message to check for a signature by example.com")
	// The scope selects.
	wantPass(t, func(t testing.TB) bool { return assert.To("ann@example.org").DKIM(t, srv, "example.com") })
	wantFail(t, func(t testing.TB) bool { return assert.To("nobody@example.org").DKIM(t, srv, "example.com") }, "no message to check")
}
