package smtptest_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/dkimtest"
)

const newsletter = "From: News <news@example.com>\r\n" +
	"To: ann@example.org\r\n" +
	"Subject: Weekly news\r\n" +
	"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n" +
	"Message-ID: <news-1@example.com>\r\n" +
	"List-Unsubscribe: <https://example.com/u/1>\r\n" +
	"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" +
	"\r\n" +
	"Hello Ann,\r\n" +
	"this is the news.\r\n"

// dkimSign signs msg with go-msgauth as an application would.
func dkimSign(t testing.TB, msg string, k *dkimtest.Key, can dkim.Canonicalization, headers ...string) string {
	t.Helper()
	var out bytes.Buffer
	err := dkim.Sign(&out, strings.NewReader(msg), &dkim.SignOptions{
		Domain: k.Domain, Selector: k.Selector, Signer: k.Signer,
		HeaderCanonicalization: can, BodyCanonicalization: can, HeaderKeys: headers,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestVerifyDKIMOverSMTP(t *testing.T) {
	srv := smtptest.NewServer(t)
	rsa := srv.NewDKIMKey("example.com", "rsa", dkimtest.RSA)
	ed := srv.NewDKIMKey("example.com", "ed", dkimtest.Ed25519)
	for _, k := range []*dkimtest.Key{rsa, ed} {
		for _, can := range []dkim.Canonicalization{dkim.CanonicalizationSimple, dkim.CanonicalizationRelaxed} {
			t.Run(string(k.Algorithm)+"/"+string(can), func(t *testing.T) {
				srv.Reset()
				signed := dkimSign(t, newsletter, k, can)
				sendMail(t, srv, "news@example.com", []string{"ann@example.org"}, signed)
				// A client that alters one byte of the body after signing.
				sendMail(t, srv, "news@example.com", []string{"ann@example.org"}, strings.Replace(signed, "news.", "news!", 1))
				msgs := srv.Messages()
				good, err := srv.VerifyDKIM(msgs[0])
				if err != nil || len(good) != 1 || !good[0].Verified() || good[0].Aligned != dkimtest.Strict || good[0].Selector != k.Selector {
					t.Errorf("signed message: %v, %v", good, err)
				}
				bad, err := srv.VerifyDKIM(msgs[1])
				if err != nil || len(bad) != 1 || !errors.Is(bad[0].Err, dkimtest.ErrBodyHash) {
					t.Errorf("altered in transit: %v, %v", bad, err)
				}
			})
		}
	}
	// A key removed (rotated away) no longer verifies.
	srv.DKIMKeys().Remove("example.com", "ed")
	rs, _ := srv.VerifyDKIM(srv.Messages()[0])
	if len(rs) != 1 || !errors.Is(rs[0].Err, dkimtest.ErrNoKey) {
		t.Errorf("after Remove: %v", rs)
	}
}

func TestVerifyDKIMUnsigned(t *testing.T) {
	srv := smtptest.NewServer(t)
	sendMail(t, srv, "news@example.com", []string{"ann@example.org"}, newsletter)
	if rs, err := srv.VerifyDKIM(srv.Messages()[0]); rs != nil || err != nil {
		t.Errorf("unsigned: %v, %v", rs, err)
	}
}

func TestNewDKIMKeyPanicsOnBadNames(t *testing.T) {
	srv := smtptest.NewServer(t)
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "smtptest: selector") {
			t.Errorf("recover() = %v", r)
		}
	}()
	srv.NewDKIMKey("example.com", "", dkimtest.Ed25519)
}
