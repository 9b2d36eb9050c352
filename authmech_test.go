package smtptest_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	netsmtp "net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/smtptest/smtptest"
)

// sendAuthed authenticates with a and sends one message, over STARTTLS
// when tlsConfig is set; it returns AUTH's error, if any.
func sendAuthed(t *testing.T, srv *smtptest.Server, tlsConfig *tls.Config, a sasl.Client) error {
	t.Helper()
	var c *smtp.Client
	var err error
	if tlsConfig != nil {
		c, err = smtp.DialStartTLS(srv.Addr(), tlsConfig)
	} else {
		c, err = smtp.Dial(srv.Addr())
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(a); err != nil {
		return err
	}
	if err := c.SendMail("app@example.com", []string{"ann@example.org"}, strings.NewReader(dsnTestMessage)); err != nil {
		t.Fatal(err)
	}
	return c.Quit()
}

// xoauth2Client is the client side of XOAUTH2, as Gmail's clients speak it.
type xoauth2Client struct{ user, token string }

func (a xoauth2Client) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + a.user + "\x01auth=Bearer " + a.token + "\x01\x01"), nil
}
func (a xoauth2Client) Next(challenge []byte) ([]byte, error) { return []byte{}, nil } // answers the error challenge empty

// scramClient is the client side of SCRAM-SHA-256 (RFC 5802), for the
// server's tests: no client library among the root module's
// dependencies speaks it (go-mail's does, in interop).
type scramClient struct {
	user, password string
	nonce, bare    string
	serverSig      []byte
	step           int
	tamper         bool // send a wrong proof
}

func (a *scramClient) Start() (string, []byte, error) {
	n := make([]byte, 12)
	rand.Read(n)
	a.nonce = base64.RawStdEncoding.EncodeToString(n)
	a.bare = "n=" + strings.NewReplacer("=", "=3D", ",", "=2C").Replace(a.user) + ",r=" + a.nonce
	return "SCRAM-SHA-256", []byte("n,," + a.bare), nil
}

func (a *scramClient) Next(challenge []byte) ([]byte, error) {
	a.step++
	if a.step == 2 {
		if want := "v=" + base64.StdEncoding.EncodeToString(a.serverSig); string(challenge) != want {
			return nil, fmt.Errorf("server signature %q, want %q", challenge, want)
		}
		return []byte{}, nil
	}
	attrs := map[string]string{}
	for _, kv := range strings.Split(string(challenge), ",") {
		attrs[kv[:1]] = kv[2:]
	}
	salt, _ := base64.StdEncoding.DecodeString(attrs["s"])
	iter, _ := strconv.Atoi(attrs["i"])
	if !strings.HasPrefix(attrs["r"], a.nonce) {
		return nil, errors.New("the server's nonce does not extend ours")
	}
	salted, _ := pbkdf2.Key(sha256.New, a.password, salt, iter, 32)
	mac := func(key []byte, s string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(s))
		return h.Sum(nil)
	}
	clientKey := mac(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	withoutProof := "c=" + base64.StdEncoding.EncodeToString([]byte("n,,")) + ",r=" + attrs["r"]
	authMessage := a.bare + "," + string(challenge) + "," + withoutProof
	sig := mac(stored[:], authMessage)
	for i := range clientKey {
		clientKey[i] ^= sig[i]
	}
	if a.tamper {
		clientKey[0] ^= 1
	}
	a.serverSig = mac(mac(salted, "Server Key"), authMessage)
	return []byte(withoutProof + ",p=" + base64.StdEncoding.EncodeToString(clientKey)), nil
}

func TestAuthMechanisms(t *testing.T) {
	users := smtptest.Users(map[string]string{"app": "s3cret", "a,b=c": "pw"})
	tokens := smtptest.Tokens(map[string]string{"app@example.com": "ya29.token"})
	all := smtptest.AuthMechanisms("SCRAM-SHA-256", "CRAM-MD5", "XOAUTH2", "OAUTHBEARER", "PLAIN", "LOGIN")
	for _, tc := range []struct {
		name, mech, user string
		client           func(srv *smtptest.Server) sasl.Client
		secret           string // must not reach the transcript
	}{
		{"SCRAM-SHA-256", "SCRAM-SHA-256", "app", func(*smtptest.Server) sasl.Client { return &scramClient{user: "app", password: "s3cret"} }, "s3cret"},
		{"SCRAM-SHA-256 escaped name", "SCRAM-SHA-256", "a,b=c", func(*smtptest.Server) sasl.Client { return &scramClient{user: "a,b=c", password: "pw"} }, ""},
		{"XOAUTH2", "XOAUTH2", "app@example.com", func(*smtptest.Server) sasl.Client { return xoauth2Client{"app@example.com", "ya29.token"} }, "ya29.token"},
		{"OAUTHBEARER", "OAUTHBEARER", "app@example.com", func(*smtptest.Server) sasl.Client {
			return sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: "app@example.com", Token: "ya29.token", Host: "localhost", Port: 25})
		}, "ya29.token"},
		{"OAUTHBEARER without a user name", "OAUTHBEARER", "app@example.com", func(*smtptest.Server) sasl.Client {
			return sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Token: "ya29.token"})
		}, "ya29.token"},
		{"PLAIN", "PLAIN", "app", func(*smtptest.Server) sasl.Client { return sasl.NewPlainClient("", "app", "s3cret") }, "s3cret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := smtptest.NewServer(t, users, tokens, all)
			if err := sendAuthed(t, srv, nil, tc.client(srv)); err != nil {
				t.Fatal(err)
			}
			m := srv.WaitForMessages(1, ioBound)[0]
			if m.AuthUser != tc.user || m.AuthMech != tc.mech {
				t.Errorf("AuthUser %q, AuthMech %q; want %q, %q", m.AuthUser, m.AuthMech, tc.user, tc.mech)
			}
			tr := srv.Transcript()
			if !strings.Contains(tr, "authenticated as "+tc.user+" with "+tc.mech) {
				t.Errorf("the transcript does not say who authenticated how:\n%s", tr)
			}
			if tc.secret != "" && (strings.Contains(tr, tc.secret) || strings.Contains(tr, base64.StdEncoding.EncodeToString([]byte(tc.secret))[:8])) {
				t.Errorf("the transcript shows the secret:\n%s", tr)
			}
		})
	}
}

func TestCRAMMD5(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.Users(map[string]string{"app": "s3cret"}), smtptest.AuthMechanisms("CRAM-MD5"))
	// net/smtp speaks CRAM-MD5.
	if err := netsmtp.SendMail(srv.Addr(), netsmtp.CRAMMD5Auth("app", "s3cret"), "app@example.com", []string{"ann@example.org"}, []byte(dsnTestMessage)); err != nil {
		t.Fatal(err)
	}
	if m := srv.WaitForMessages(1, ioBound)[0]; m.AuthUser != "app" || m.AuthMech != "CRAM-MD5" {
		t.Errorf("AuthUser %q, AuthMech %q", m.AuthUser, m.AuthMech)
	}
	err := netsmtp.SendMail(srv.Addr(), netsmtp.CRAMMD5Auth("app", "wrong"), "app@example.com", []string{"ann@example.org"}, []byte(dsnTestMessage))
	var tp *textproto.Error
	if !errors.As(err, &tp) || tp.Code != 535 || !strings.HasPrefix(tp.Msg, "5.7.8") {
		t.Errorf("a wrong password: %v", err)
	}
	rej := srv.Rejections() // and net/smtp's "*" after the 535: 501
	if len(rej) < 1 || rej[0].Stage != smtptest.StageAuth || rej[0].Arg != "CRAM-MD5" || rej[0].Reply.Code != 535 {
		t.Errorf("rejections %v", rej)
	}
}

// TestAuthRefused: every mechanism refuses a wrong secret with 535 5.7.8,
// the OAuth ones after their JSON error challenge, and records it.
func TestAuthRefused(t *testing.T) {
	srv := smtptest.NewServer(t,
		smtptest.Users(map[string]string{"app": "s3cret"}),
		smtptest.Tokens(map[string]string{"app@example.com": "ya29.token"}),
		smtptest.AuthMechanisms("SCRAM-SHA-256", "XOAUTH2", "OAUTHBEARER"))
	for _, a := range []sasl.Client{
		&scramClient{user: "app", password: "wrong"},
		&scramClient{user: "app", password: "s3cret", tamper: true},
		&scramClient{user: "nobody", password: "s3cret"},
		xoauth2Client{"app@example.com", "expired"},
		xoauth2Client{"someone@example.com", "ya29.token"},
	} {
		var e *smtp.SMTPError
		if err := sendAuthed(t, srv, nil, a); !errors.As(err, &e) || e.Code != 535 || e.EnhancedCode != (smtp.EnhancedCode{5, 7, 8}) {
			t.Errorf("%T %+v: %v, want 535 5.7.8", a, a, err)
		}
	}
	auths := 0
	for _, r := range srv.Rejections() { // and go-smtp's client's "*" after each 535: 501
		if r.Stage == smtptest.StageAuth && r.Reply.Code == 535 {
			auths++
		}
	}
	if auths != 5 {
		t.Errorf("%d AUTH rejections, want 5:\n%v", auths, srv.Rejections())
	}

	// OAUTHBEARER's error challenge, answered the three ways clients do:
	// %x01 (RFC 7628 3.2.3), an empty line, and "*".
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	ir := base64.StdEncoding.EncodeToString([]byte("n,a=app@example.com,\x01auth=Bearer expired\x01\x01"))
	for _, answer := range []string{"AQ==", "", "*"} {
		js, _ := base64.StdEncoding.DecodeString(c.cmd("AUTH OAUTHBEARER "+ir, 334))
		if !strings.Contains(string(js), `"status":"invalid_token"`) {
			t.Errorf("error challenge %s", js)
		}
		if answer == "*" {
			c.cmd(answer, 501)
		} else if text := c.cmd(answer, 535); !strings.HasPrefix(text, "5.7.8") {
			t.Errorf("answer %q: 535 %s", answer, text)
		}
	}
	js, _ := base64.StdEncoding.DecodeString(c.cmd("AUTH XOAUTH2 "+base64.StdEncoding.EncodeToString([]byte("user=app@example.com\x01auth=Bearer expired\x01\x01")), 334))
	if !strings.Contains(string(js), `"status":"401"`) {
		t.Errorf("XOAUTH2 error challenge %s", js)
	}
	c.cmd("", 535)
	c.cmd("AUTH XOAUTH2 "+base64.StdEncoding.EncodeToString([]byte("no fields")), 501)
	if text := c.cmd("AUTH CRAM-MD5", 504); !strings.HasPrefix(text, "5.7.4") { // not offered here
		t.Errorf("AUTH CRAM-MD5 not offered: 504 %s", text)
	}
	if tr := srv.Transcript(); strings.Contains(tr, "expired") || strings.Contains(tr, ir) {
		t.Errorf("the transcript shows a token:\n%s", tr)
	}
}

func TestAuthExternal(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.ClientCertAuth(), smtptest.Users(map[string]string{"app": "s3cret"}))
	cert, err := srv.ClientCertificate("app.example.com")
	if err != nil {
		t.Fatal(err)
	}
	cfg := srv.ClientTLSConfig()
	cfg.Certificates = []tls.Certificate{cert}
	if err := sendAuthed(t, srv, cfg, sasl.NewExternalClient("")); err != nil {
		t.Fatal(err)
	}
	m := srv.WaitForMessages(1, ioBound)[0]
	if m.AuthUser != "app.example.com" || m.AuthMech != "EXTERNAL" || m.TLS == nil || m.TLS.ClientCertificate == nil || m.TLS.ClientCertificate.Subject.CommonName != "app.example.com" {
		t.Errorf("AuthUser %q, AuthMech %q, TLS %+v", m.AuthUser, m.AuthMech, m.TLS)
	}
	// An authorization identity that is not the certificate's is refused.
	var e *smtp.SMTPError
	if err := sendAuthed(t, srv, cfg, sasl.NewExternalClient("root")); !errors.As(err, &e) || e.Code != 535 {
		t.Errorf("EXTERNAL as another identity: %v", err)
	}

	// Without a certificate EXTERNAL is not offered, PLAIN still is.
	c, err := smtp.DialStartTLS(srv.Addr(), srv.ClientTLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ok, mechs := c.Extension("AUTH"); !ok || strings.Contains(mechs, "EXTERNAL") || !strings.Contains(mechs, "PLAIN") {
		t.Errorf("AUTH %q without a client certificate", mechs)
	}
	if err := c.Auth(sasl.NewExternalClient("")); !errors.As(err, &e) || e.Code != 504 && e.Code != 535 {
		t.Errorf("EXTERNAL without a certificate: %v", err)
	}

	// A certificate the test client CA did not sign fails the handshake.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "app.example.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	stranger := &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	cfg.Certificates = nil
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return stranger, nil } // sent though no CA the server named signed it
	if c, err := smtp.DialStartTLS(srv.Addr(), cfg); err == nil {
		err = c.Noop() // TLS 1.3: the server's verdict comes after the client's handshake
		c.Close()
		if err == nil {
			t.Error("a self-signed client certificate was accepted")
		}
	}
}

func TestAuthMechanismsOption(t *testing.T) {
	for _, tc := range []struct {
		opts []smtptest.Option
		want string
	}{
		{[]smtptest.Option{smtptest.AuthMechanisms("DIGEST-MD5")}, `unknown mechanism "DIGEST-MD5"`},
		{[]smtptest.Option{smtptest.AuthMechanisms()}, "no mechanism"},
		{[]smtptest.Option{smtptest.AuthMechanisms("CRAM-MD5")}, "CRAM-MD5 needs the Users table"},
		{[]smtptest.Option{smtptest.Hooks{Authenticate: func(string, string, string) error { return nil }}, smtptest.AuthMechanisms("SCRAM-SHA-256")}, "SCRAM-SHA-256 needs the Users table"},
		{[]smtptest.Option{smtptest.Users(map[string]string{"a": "b"}), smtptest.AuthMechanisms("XOAUTH2")}, "XOAUTH2 needs Tokens or the Authenticate hook"},
		{[]smtptest.Option{smtptest.Users(map[string]string{"a": "b"}), smtptest.AuthMechanisms("EXTERNAL")}, "EXTERNAL needs ClientCertAuth"},
		{[]smtptest.Option{smtptest.Tokens(map[string]string{"a": ""})}, "Tokens: empty user name or secret"},
	} {
		if _, err := smtptest.Start(tc.opts...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Start: %v, want %q", err, tc.want)
		}
	}
	// The defaults: Tokens alone offers the OAuth mechanisms.
	srv := smtptest.NewServer(t, smtptest.Tokens(map[string]string{"a": "t"}))
	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		t.Fatal(err)
	}
	if _, mechs := c.Extension("AUTH"); mechs != "XOAUTH2 OAUTHBEARER" {
		t.Errorf("AUTH %q with Tokens alone", mechs)
	}
}

// BenchmarkAuth is one connection's AUTH by each mechanism: SCRAM's
// PBKDF2 (4096 rounds each side) is what it costs beyond a round trip.
func BenchmarkAuth(b *testing.B) {
	srv := smtptest.NewServer(b,
		smtptest.Users(map[string]string{"app": "s3cret"}),
		smtptest.Tokens(map[string]string{"app": "t0k"}),
		smtptest.AuthMechanisms("PLAIN", "CRAM-MD5", "SCRAM-SHA-256", "XOAUTH2", "OAUTHBEARER"))
	for _, tc := range []struct {
		name   string
		client func() sasl.Client
	}{
		{"PLAIN", func() sasl.Client { return sasl.NewPlainClient("", "app", "s3cret") }},
		{"SCRAM-SHA-256", func() sasl.Client { return &scramClient{user: "app", password: "s3cret"} }},
		{"XOAUTH2", func() sasl.Client { return xoauth2Client{"app", "t0k"} }},
		{"OAUTHBEARER", func() sasl.Client {
			return sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: "app", Token: "t0k"})
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				c, err := smtp.Dial(srv.Addr())
				if err != nil {
					b.Fatal(err)
				}
				if err := c.Auth(tc.client()); err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
		})
	}
}
