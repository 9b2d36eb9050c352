package smtptest_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"net/netip"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
	"github.com/smtptest/smtptest"
)

func TestNetSMTPPlainAuthOverSTARTTLS(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.StartTLS(), alice)
	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Fatal("STARTTLS not advertised")
	}
	cfg := srv.ClientTLSConfig()
	cfg.ServerName = "localhost" // the certificate names it too; it is sent as SNI
	if err := c.StartTLS(cfg); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Error("STARTTLS advertised again after TLS")
	}
	// net/smtp's PlainAuth checks the host against the one dialed.
	if err := c.Auth(smtp.PlainAuth("", "alice", "s3cret!", "127.0.0.1")); err != nil {
		t.Fatal(err)
	}
	send(t, c, "alice@example.com", "bob@example.org")

	m := srv.Messages()[0]
	if m.AuthUser != "alice" {
		t.Errorf("AuthUser = %q", m.AuthUser)
	}
	if m.TLS == nil || m.TLS.Version != tls.VersionTLS13 || m.TLS.CipherSuite == 0 || m.TLS.ServerName != "localhost" {
		t.Errorf("TLS = %+v, want TLS 1.3 with SNI localhost", m.TLS)
	}
	if m.Helo != "client.example" {
		t.Errorf("Helo = %q", m.Helo)
	}
}

func TestGoSMTPClientLoginOverSTARTTLS(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.StartTLS(), alice)
	c, err := gosmtp.DialStartTLS(srv.Addr(), srv.ClientTLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewLoginClient("bob", "hunter2")); err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail("bob@example.com", []string{"carol@example.org"}, strings.NewReader(simpleMsg)); err != nil {
		t.Fatal(err)
	}
	m := srv.Messages()[0]
	if m.AuthUser != "bob" || m.TLS == nil {
		t.Errorf("AuthUser %q, TLS %+v", m.AuthUser, m.TLS)
	}
	tr := srv.Transcript()
	for _, secret := range []string{"hunter2", base64.StdEncoding.EncodeToString([]byte("hunter2")), base64.StdEncoding.EncodeToString([]byte("bob"))} {
		if strings.Contains(tr, secret) {
			t.Errorf("transcript shows %q:\n%s", secret, tr)
		}
	}
	for _, want := range []string{"S: 220 2.0.0 Ready to start TLS", "-- TLS established: TLS 1.3, ", "C: AUTH LOGIN ****", "C: ****", "-- authenticated as bob", "C: MAIL FROM:<bob@example.com>"} {
		if !strings.Contains(tr, want) {
			t.Errorf("transcript lacks %q:\n%s", want, tr)
		}
	}
}

func TestImplicitTLS(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.ImplicitTLS(), alice)
	tc, err := tls.Dial("tcp", srv.Addr(), srv.ClientTLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	c, err := smtp.NewClient(tc, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Error("STARTTLS advertised on a TLS connection")
	}
	if err := c.Auth(smtp.PlainAuth("", "alice", "s3cret!", "127.0.0.1")); err != nil {
		t.Fatal(err)
	}
	send(t, c, "alice@example.com", "bob@example.org")
	if m := srv.Messages()[0]; m.TLS == nil || m.TLS.ServerName != "" || m.AuthUser != "alice" {
		t.Errorf("TLS %+v (no SNI for an IP address), AuthUser %q", m.TLS, m.AuthUser)
	}
	if cfg := srv.Config(); !cfg.ImplicitTLS || cfg.StartTLS || !cfg.Auth {
		t.Errorf("Config() = %+v", cfg)
	}

	// A client that speaks plain text to it: disconnected, noted, and the
	// next client is served.
	c2 := connect(t, srv)
	c2.write("EHLO plain.example\r\n")
	c2.expectClosed()
	tc, err = tls.Dial("tcp", srv.Addr(), srv.ClientTLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	tc.Close()
	if !strings.Contains(srv.Transcript(), "TLS handshake failed") {
		t.Errorf("transcript:\n%s", srv.Transcript())
	}
}

func TestTestCertificate(t *testing.T) {
	a := smtptest.NewServer(t, smtptest.StartTLS())
	b := smtptest.NewServer(t, smtptest.ImplicitTLS())
	cert := a.Certificate()
	if cert == nil || !cert.Equal(b.Certificate()) {
		t.Fatal("the servers of one process do not share the test certificate")
	}
	if !slices.Contains(cert.DNSNames, "localhost") || len(cert.IPAddresses) != 2 ||
		!cert.IPAddresses[0].Equal(net.ParseIP("127.0.0.1")) || !cert.IPAddresses[1].Equal(net.ParseIP("::1")) {
		t.Errorf("names: %v %v", cert.DNSNames, cert.IPAddresses)
	}
	if time.Now().Before(cert.NotBefore) || time.Now().Add(24*time.Hour).After(cert.NotAfter) {
		t.Errorf("valid %v to %v", cert.NotBefore, cert.NotAfter)
	}
	block, _ := pem.Decode(a.CertificatePEM())
	if block == nil || block.Type != "CERTIFICATE" || !slices.Equal(block.Bytes, cert.Raw) {
		t.Error("CertificatePEM does not hold the certificate")
	}
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := cert.VerifyHostname(name); err != nil {
			t.Error(err)
		}
	}
	plain := smtptest.NewServer(t)
	if plain.Certificate() != nil || plain.CertificatePEM() != nil || plain.ClientTLSConfig() != nil {
		t.Error("a server without TLS offers TLS material")
	}
	// Each ClientTLSConfig is the caller's to change.
	cfg := a.ClientTLSConfig()
	cfg.ServerName = "changed"
	if a.ClientTLSConfig().ServerName != "127.0.0.1" {
		t.Error("ClientTLSConfig returned a shared configuration")
	}
}

func TestUserTLSConfig(t *testing.T) {
	cert := selfSigned(t, "mail.test.example")
	srv := smtptest.NewServer(t, smtptest.StartTLS(), smtptest.TLSConfig(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12}))
	if !srv.Certificate().Equal(cert.Leaf) {
		t.Fatal("Certificate() is not the configured one")
	}
	cfg := srv.ClientTLSConfig()
	cfg.ServerName = "mail.test.example"
	c, err := gosmtp.DialStartTLS(srv.Addr(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendMail("a@example.com", []string{"b@example.org"}, strings.NewReader(simpleMsg)); err != nil {
		t.Fatal(err)
	}
	if m := srv.Messages()[0]; m.TLS.Version != tls.VersionTLS12 || m.TLS.ServerName != "mail.test.example" {
		t.Errorf("TLS %+v, want the configured TLS 1.2", m.TLS)
	}
	if _, err := smtptest.Start(smtptest.TLSConfig(&tls.Config{})); err == nil || !strings.Contains(err.Error(), "no certificate") {
		t.Errorf("TLSConfig without a certificate: %v", err)
	}
}

// selfSigned makes a certificate for name.
func selfSigned(t *testing.T, name string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func TestSTARTTLSProtocol(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.StartTLS())
	c := dial(t, srv, 220)
	if ehlo := c.cmd("EHLO client.example", 250); !strings.Contains(ehlo, "\nSTARTTLS") {
		t.Errorf("EHLO reply lacks STARTTLS:\n%s", ehlo)
	}
	c.cmd("STARTTLS now", 501)
	c.cmd("MAIL FROM:<before@example.com>", 250)
	// Commands pipelined after STARTTLS come in plain text: dropped.
	c.write("STARTTLS\r\nRCPT TO:<injected@example.org>\r\n")
	c.expect(220)
	tc := tls.Client(c.nc, srv.ClientTLSConfig())
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	c.nc, c.r = tc, bufio.NewReader(tc)
	c.cmd("MAIL FROM:<a@example.com>", 503) // a new session begins with EHLO
	ehlo := c.cmd("EHLO client.example", 250)
	if strings.Contains(ehlo, "STARTTLS") {
		t.Errorf("STARTTLS advertised after TLS:\n%s", ehlo)
	}
	c.cmd("STARTTLS", 503)
	c.cmd("DATA", 503) // the plain-text MAIL is gone
	c.transaction("a@example.com", []string{"b@example.org"}, simpleMsg)

	if m := srv.Messages(); len(m) != 1 || !slices.Equal(m[0].To, []string{"b@example.org"}) {
		t.Errorf("messages %v", m)
	}
	if tr := srv.Transcript(); !strings.Contains(tr, "dropped 32 bytes sent after STARTTLS in plain text") {
		t.Errorf("transcript:\n%s", tr)
	}

	plain := smtptest.NewServer(t)
	c = dial(t, plain, 220)
	if ehlo := c.cmd("EHLO client.example", 250); strings.Contains(ehlo, "STARTTLS") {
		t.Errorf("STARTTLS advertised without TLS:\n%s", ehlo)
	}
	c.cmd("STARTTLS", 502)
}

func TestRequireTLS(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.RequireTLS(), alice)
	c := dial(t, srv, 220)
	if ehlo := c.cmd("EHLO client.example", 250); strings.Contains(ehlo, "AUTH") {
		t.Errorf("AUTH advertised before TLS:\n%s", ehlo)
	}
	if text := c.cmd("MAIL FROM:<a@example.com>", 530); text != "5.7.0 Must issue a STARTTLS command first" {
		t.Errorf("MAIL: %q", text)
	}
	c.cmd("AUTH PLAIN AGFsaWNlAHMzY3JldCE=", 530)
	c.startTLS(srv.ClientTLSConfig())
	if ehlo := c.cmd("EHLO client.example", 250); !strings.Contains(ehlo, "AUTH PLAIN LOGIN") {
		t.Errorf("AUTH not advertised after TLS:\n%s", ehlo)
	}
	c.transaction("a@example.com", []string{"b@example.org"}, simpleMsg)
	if r := srv.Rejections(); len(r) != 2 || r[0].Stage != smtptest.StageMail || r[1].Stage != smtptest.StageAuth {
		t.Errorf("Rejections() = %v", r)
	}
	// net/smtp without TLS sees the refusal.
	err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte(simpleMsg))
	if err == nil {
		t.Error("SendMail over plain text succeeded")
	}
}

func TestTLSFactsAbsentWithoutTLS(t *testing.T) {
	srv := smtptest.NewServer(t, alice)
	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(smtp.PlainAuth("", "alice", "s3cret!", "127.0.0.1")); err != nil {
		t.Fatal(err) // net/smtp allows PLAIN over plain text to localhost
	}
	send(t, c, "a@example.com", "b@example.org")
	if m := srv.Messages()[0]; m.TLS != nil || m.AuthUser != "alice" || m.Remote.Addr() != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("TLS %+v AuthUser %q", m.TLS, m.AuthUser)
	}
}

// External clients over loopback, trusting the exported PEM. They are part
// of the suite: a missing program fails, it does not skip (.ci/run
// installs them).
func TestCurlSSLReqd(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatalf("curl is needed (Debian package curl): %v", err)
	}
	srv := smtptest.NewServer(t, smtptest.StartTLS(), smtptest.AuthRequiresTLS(), alice)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	msg := filepath.Join(dir, "msg.eml")
	must(t, os.WriteFile(ca, srv.CertificatePEM(), 0o600))
	must(t, os.WriteFile(msg, []byte(simpleMsg), 0o600))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, curl, "--silent", "--show-error", "--ssl-reqd", "--cacert", ca,
		"--url", "smtp://"+srv.Addr(), "--user", "alice:s3cret!",
		"--mail-from", "alice@example.com", "--mail-rcpt", "bob@example.org", "--upload-file", msg).CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	m := srv.Messages()
	if len(m) != 1 || m[0].AuthUser != "alice" || m[0].TLS == nil || m[0].From != "alice@example.com" {
		t.Fatalf("messages %v", m)
	}
	if got := strings.ReplaceAll(string(m[0].Data), "\r\n", "\n"); got != strings.ReplaceAll(simpleMsg, "\r\n", "\n") {
		t.Errorf("Data = %q", m[0].Data)
	}
}

func TestPythonSmtplibSTARTTLS(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is needed: %v", err)
	}
	srv := smtptest.NewServer(t, smtptest.StartTLS(), smtptest.AuthRequiresTLS(), alice)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	must(t, os.WriteFile(ca, srv.CertificatePEM(), 0o600))
	host, port, _ := net.SplitHostPort(srv.Addr())
	script := `
import smtplib, ssl, sys
from email.message import EmailMessage
host, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
msg = EmailMessage()
msg["From"] = "bob@example.com"
msg["To"] = "carol@example.org"
msg["Subject"] = "Hello from Python"
msg.set_content("Body from smtplib.\n")
with smtplib.SMTP(host, port, timeout=20) as s:
    s.ehlo("python.example")
    s.starttls(context=ssl.create_default_context(cafile=cafile))
    s.ehlo("python.example")
    s.login("bob", "hunter2")
    s.send_message(msg)
`
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, python, "-c", script, host, port, ca).CombinedOutput(); err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	m := srv.Messages()
	if len(m) != 1 || m[0].AuthUser != "bob" || m[0].TLS == nil || m[0].Helo != "python.example" {
		t.Fatalf("messages %v", m)
	}
	if s, _ := m[0].Subject(); s != "Hello from Python" {
		t.Errorf("Subject %q", s)
	}
	if body, _ := m[0].TextBody(); body != "Body from smtplib.\r\n" {
		t.Errorf("TextBody %q", body)
	}
}
