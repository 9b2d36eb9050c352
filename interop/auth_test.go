package interop

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/smtptest/smtptest"
)

// The AUTH mechanisms beyond PLAIN and LOGIN, each with a real client
// that speaks it: go-mail (XOAUTH2, SCRAM-SHA-256), Python's smtplib
// (CRAM-MD5) and curl (--oauth2-bearer: OAUTHBEARER, or XOAUTH2 where
// only that is offered).

const (
	authUser     = "app@example.com"
	authPassword = "s3cret pass"
	authToken    = "ya29.a0AfB_test-token"
)

// authServer offers exactly mech, with the user's password and token.
func authServer(t *testing.T, mech string) *smtptest.Server {
	return smtptest.NewServer(t,
		smtptest.Users(map[string]string{authUser: authPassword}),
		smtptest.Tokens(map[string]string{authUser: authToken}),
		smtptest.AuthMechanisms(mech))
}

// checkAuthed fails unless srv got one message, from authUser by mech,
// and its transcript shows neither the password nor the token.
func checkAuthed(t *testing.T, srv *smtptest.Server, mech string) {
	t.Helper()
	m := srv.WaitForMessages(1, 20*time.Second)[0]
	if m.AuthUser != authUser || m.AuthMech != mech {
		t.Errorf("AuthUser %q, AuthMech %q; want %q, %q", m.AuthUser, m.AuthMech, authUser, mech)
	}
	if tr := srv.Transcript(); strings.Contains(tr, authPassword) || strings.Contains(tr, authToken) {
		t.Errorf("the transcript shows a secret:\n%s", tr)
	}
}

func goMailAuth(t *testing.T, mech gomail.SMTPAuthType, secret string) {
	srv := authServer(t, string(mech))
	host, port := hostPort(t, srv)
	m := gomail.NewMsg()
	must(t, m.From(sender))
	must(t, m.To(recipient))
	m.Subject(subject("go-mail " + string(mech)))
	m.SetBodyString(gomail.TypeTextPlain, textBody)
	c, err := gomail.NewClient(host, gomail.WithPort(port), gomail.WithTLSPolicy(gomail.NoTLS),
		gomail.WithSMTPAuth(mech), gomail.WithUsername(authUser), gomail.WithPassword(secret))
	must(t, err)
	must(t, c.DialAndSend(m))
	checkAuthed(t, srv, string(mech))

	// And a wrong secret is refused.
	c, err = gomail.NewClient(host, gomail.WithPort(port), gomail.WithTLSPolicy(gomail.NoTLS),
		gomail.WithSMTPAuth(mech), gomail.WithUsername(authUser), gomail.WithPassword("wrong"))
	must(t, err)
	if err := c.DialAndSend(m); err == nil || !strings.Contains(err.Error(), "535") {
		t.Errorf("a wrong secret: %v", err)
	}
}

func TestGoMailXOAUTH2(t *testing.T)     { goMailAuth(t, gomail.SMTPAuthXOAUTH2, authToken) }
func TestGoMailSCRAMSHA256(t *testing.T) { goMailAuth(t, gomail.SMTPAuthSCRAMSHA256, authPassword) }

func TestPythonCRAMMD5(t *testing.T) {
	python := program(t, "python3", "python3")
	srv := authServer(t, "CRAM-MD5")
	host, port := hostPort(t, srv)
	script := `
import smtplib, sys
host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
with smtplib.SMTP(host, port, timeout=30) as s:
    s.ehlo()
    assert s.esmtp_features["auth"].strip() == "CRAM-MD5", s.esmtp_features
    try:
        s.login(user, "wrong")
        raise SystemExit("a wrong password was accepted")
    except smtplib.SMTPAuthenticationError as e:
        assert e.smtp_code == 535, e
    s.login(user, password)  # smtplib picks CRAM-MD5
    s.sendmail(user, ["rcpt@example.org"], b"From: app@example.com\r\nTo: rcpt@example.org\r\nSubject: cram\r\n\r\nHello.\r\n")
`
	run(t, python, "-c", script, host, strconv.Itoa(port), authUser, authPassword)
	checkAuthed(t, srv, "CRAM-MD5")
}

func TestCurlOAuth2Bearer(t *testing.T) {
	curl := program(t, "curl", "curl")
	for _, mech := range []string{"OAUTHBEARER", "XOAUTH2"} {
		t.Run(mech, func(t *testing.T) {
			srv := authServer(t, mech)
			msg := filepath.Join(t.TempDir(), "msg.eml")
			must(t, os.WriteFile(msg, []byte("From: app@example.com\r\nTo: rcpt@example.org\r\nSubject: curl "+mech+"\r\n\r\nHello.\r\n"), 0o600))
			run(t, curl, "--silent", "--show-error", "--url", "smtp://"+srv.Addr(),
				"--user", authUser, "--oauth2-bearer", authToken,
				"--mail-from", authUser, "--mail-rcpt", "rcpt@example.org", "--upload-file", msg)
			checkAuthed(t, srv, mech)
		})
	}
}

// TestCurlExternal: curl logs in with its TLS client certificate (SASL
// EXTERNAL over STARTTLS), made by Server.ClientCertificate.
func TestCurlExternal(t *testing.T) {
	curl := program(t, "curl", "curl")
	srv := smtptest.NewServer(t, smtptest.ClientCertAuth(), smtptest.RequireAuth(), smtptest.AuthMechanisms("EXTERNAL"))
	cert, err := srv.ClientCertificate("relay.example.com")
	must(t, err)
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	must(t, err)
	dir := t.TempDir()
	files := map[string][]byte{
		"ca.pem":   srv.CertificatePEM(),
		"cert.pem": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}),
		"key.pem":  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}),
		"msg.eml":  []byte("From: relay@example.com\r\nTo: rcpt@example.org\r\nSubject: curl EXTERNAL\r\n\r\nHello.\r\n"),
	}
	for name, data := range files {
		must(t, os.WriteFile(filepath.Join(dir, name), data, 0o600))
	}
	run(t, curl, "--silent", "--show-error", "--url", "smtp://"+srv.Addr(), "--ssl-reqd",
		"--cacert", filepath.Join(dir, "ca.pem"), "--cert", filepath.Join(dir, "cert.pem"), "--key", filepath.Join(dir, "key.pem"),
		"--login-options", "AUTH=EXTERNAL",
		"--mail-from", "relay@example.com", "--mail-rcpt", "rcpt@example.org", "--upload-file", filepath.Join(dir, "msg.eml"))
	m := srv.WaitForMessages(1, 20*time.Second)[0]
	if m.AuthUser != "relay.example.com" || m.AuthMech != "EXTERNAL" || m.TLS == nil {
		t.Errorf("AuthUser %q, AuthMech %q, TLS %v", m.AuthUser, m.AuthMech, m.TLS)
	}
}
