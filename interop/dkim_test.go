package interop

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/assert"
	"github.com/smtptest/smtptest/dkimtest"
)

// DKIM signatures made by other implementations than go-msgauth's (which
// smtptest verifies with): go-mail's own signer, and Python's dkimpy. Each
// is verified end to end: signed by the client, sent over SMTP, checked
// by the server against the key the test made.

func TestGoMailDKIM(t *testing.T) {
	for _, alg := range []dkimtest.Algorithm{dkimtest.RSA, dkimtest.Ed25519} {
		t.Run(string(alg), func(t *testing.T) {
			srv := smtptest.NewServer(t)
			key := srv.NewDKIMKey("example.com", "gomail", alg)
			host, port := hostPort(t, srv)
			send := func(edit func(*gomail.DKIMSigner)) {
				t.Helper()
				m := gomail.NewMsg()
				must(t, m.From(sender))
				must(t, m.To(recipient))
				m.Subject(subject("go-mail DKIM"))
				m.SetBodyString(gomail.TypeTextPlain, textBody)
				m.AddAlternativeString(gomail.TypeTextHTML, htmlBody)
				signer := gomail.NewDKIMSigner("example.com", "gomail", key.Signer)
				if edit != nil {
					edit(signer)
				}
				m.SetDKIM(signer)
				c, err := gomail.NewClient(host, gomail.WithPort(port), gomail.WithTLSPolicy(gomail.NoTLS))
				must(t, err)
				must(t, c.DialAndSend(m))
			}
			send(nil)
			assert.DKIM(t, srv, "example.com", "To", "Subject", "Date", "Message-ID")
			goMailWellFormed(t, srv.Messages()[0])

			// l= shorter than the body: verified, and flagged.
			srv.Reset()
			send(func(s *gomail.DKIMSigner) { s.Bodylength(40) })
			rs, err := srv.VerifyDKIM(srv.Messages()[0])
			if err != nil || len(rs) != 1 || !rs[0].Verified() || rs[0].BodyLength != 40 || rs[0].UnsignedBody <= 0 {
				t.Errorf("l=40: %v, %v", rs, err)
			}
		})
	}
}

// dkimPython returns a python3 that has dkimpy and PyNaCl (Debian's
// python3-dkim and python3-nacl, which .ci/run installs): the one on PATH,
// or the system's if PATH's lacks them (a pyenv, say).
func dkimPython(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if p, err := exec.LookPath(py); err == nil && exec.Command(p, "-c", "import dkim, nacl.signing").Run() == nil {
			return p
		}
	}
	t.Fatal("no python3 with dkimpy and PyNaCl (Debian packages python3-dkim, python3-nacl)")
	return ""
}

func TestDkimpy(t *testing.T) {
	python := dkimPython(t)
	script := `
import dkim, smtplib, sys, base64
host, port, alg, keyfile, canon, length = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6] == "1"
key = open(keyfile, "rb").read()
msg = (b"From: Sender <sender@example.com>\r\nTo: rcpt@example.org\r\nSubject: dkimpy\r\n"
       b"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: <dkimpy-1@example.com>\r\n"
       b"List-Unsubscribe: <https://example.com/u/1>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
       b"\r\nHello   from dkimpy.  \r\n\r\n")
sig = dkim.sign(msg, b"py", b"example.com", key, signature_algorithm=alg.encode(),
                canonicalize=tuple(c.encode() for c in canon.split("/")), length=length,
                include_headers=[b"from", b"to", b"subject", b"date", b"message-id", b"list-unsubscribe", b"list-unsubscribe-post"])
data = sig + msg
if length:
    data += b"Appended after signing.\r\n"
with smtplib.SMTP(host, port, timeout=30) as s:
    s.sendmail("sender@example.com", ["rcpt@example.org"], data)
`
	for _, c := range []struct {
		alg    dkimtest.Algorithm
		canon  string
		length bool
	}{
		{dkimtest.RSA, "relaxed/simple", false},
		{dkimtest.RSA, "simple/simple", true},
		{dkimtest.Ed25519, "relaxed/relaxed", false},
		{dkimtest.Ed25519, "relaxed/relaxed", true},
	} {
		name := string(c.alg) + "/" + c.canon
		if c.length {
			name += "/l="
		}
		t.Run(name, func(t *testing.T) {
			srv := smtptest.NewServer(t)
			key := srv.NewDKIMKey("example.com", "py", c.alg)
			keyFile := filepath.Join(t.TempDir(), "key")
			keyText := key.PrivateKeyPEM() // dkimpy reads RSA keys as PEM,
			if c.alg == dkimtest.Ed25519 { // and Ed25519 keys as the base64 of the seed
				keyText = []byte(base64.StdEncoding.EncodeToString(key.Signer.(ed25519.PrivateKey).Seed()))
			}
			must(t, os.WriteFile(keyFile, keyText, 0o600))
			host, port := hostPort(t, srv)
			length := "0"
			if c.length {
				length = "1"
			}
			run(t, python, "-c", script, host, strconv.Itoa(port), string(c.alg)+"-sha256", keyFile, c.canon, length)
			m := srv.WaitForMessages(1, 30*time.Second)[0]
			rs, err := srv.VerifyDKIM(m)
			if err != nil || len(rs) != 1 || !rs[0].Verified() || rs[0].Canonicalization != c.canon || rs[0].Aligned != dkimtest.Strict {
				t.Fatalf("%v, %v\n%s", rs, err, m.Data)
			}
			if c.length {
				// The empty line before the appended text is no longer at
				// the end of the body: it counts too.
				if rs[0].BodyLength < 0 || rs[0].UnsignedBody != int64(len("\r\nAppended after signing.\r\n")) {
					t.Errorf("l=: %+v", rs[0])
				}
				return
			}
			assert.DKIM(t, srv, "example.com", "Subject", "List-Unsubscribe", "List-Unsubscribe-Post")
			if !bytes.Contains(m.Data, []byte("DKIM-Signature")) {
				t.Error("no signature sent")
			}
		})
	}
}
