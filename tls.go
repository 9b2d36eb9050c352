package smtptest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// StartTLS makes the server offer STARTTLS (RFC 3207), with the test
// certificate unless [TLSConfig] gives another. Clients that trust
// [Server.ClientTLSConfig] (or [Server.CertificatePEM]) can upgrade.
func StartTLS() Option {
	return optionFunc(func(c *config) error {
		c.startTLS = true
		return nil
	})
}

// ImplicitTLS makes the server speak TLS from the first byte, as on port
// 465 (RFC 8314), with the test certificate unless [TLSConfig] gives
// another. A client that does not complete the handshake is disconnected
// (noted in the transcript).
func ImplicitTLS() Option {
	return optionFunc(func(c *config) error {
		c.implicitTLS = true
		return nil
	})
}

// TLSConfig gives the server's TLS configuration (certificates, versions,
// client authentication) instead of the test certificate's. It applies to
// [StartTLS] and [ImplicitTLS]; alone it enables neither. The server uses a
// copy; cfg must hold at least one certificate or a GetCertificate.
func TLSConfig(cfg *tls.Config) Option {
	return optionFunc(func(c *config) error {
		if cfg == nil || (len(cfg.Certificates) == 0 && cfg.GetCertificate == nil && cfg.GetConfigForClient == nil) {
			return errors.New("smtptest: TLSConfig: the configuration has no certificate")
		}
		c.tlsConfig = cfg.Clone()
		return nil
	})
}

// RequireTLS makes the server refuse MAIL and AUTH before STARTTLS with
// "530 5.7.0 Must issue a STARTTLS command first", to test a client's
// "must use TLS" logic. It implies [StartTLS].
func RequireTLS() Option {
	return optionFunc(func(c *config) error {
		c.startTLS, c.requireTLS = true, true
		return nil
	})
}

// testCert is the certificate of every server of this process that uses
// TLS without a configuration of its own: made once, on first use, so that
// starting a TLS server costs about what starting a plain one does.
var testCert = sync.OnceValues(func() (tls.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	leaf, key, err := makeCert(&x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"smtptest"}, CommonName: "smtptest test certificate"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour), // a test run, or a long-running cmd/smtptest
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // self-signed: clients trust it as its own root
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}, nil, nil)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: key, Leaf: leaf}, nil
})

// makeCert makes a P-256 key and the certificate of tmpl for it, signed
// by parent with parentKey, or self-signed when parent is nil.
func makeCert(tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

// setupTLS makes the server's TLS configuration, if it uses TLS.
func (s *Server) setupTLS() error {
	if !s.cfg.startTLS && !s.cfg.implicitTLS {
		return nil
	}
	if s.cfg.tlsConfig != nil {
		s.tlsConfig = s.cfg.tlsConfig
		if len(s.tlsConfig.Certificates) > 0 {
			s.leaf = s.tlsConfig.Certificates[0].Leaf
			if s.leaf == nil {
				s.leaf, _ = x509.ParseCertificate(s.tlsConfig.Certificates[0].Certificate[0])
			}
		}
	} else {
		cert, err := testCert()
		if err != nil {
			return fmt.Errorf("smtptest: make the test certificate: %w", err)
		}
		s.tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		s.leaf = cert.Leaf
	}
	if s.cfg.clientCertAuth {
		cfg, err := clientAuthConfig(s.tlsConfig)
		if err != nil {
			return err
		}
		s.tlsConfig = cfg
	}
	return nil
}

// Certificate returns the certificate the server presents, or nil if it
// does not use TLS (or its [TLSConfig] picks certificates per client).
// The test certificate is self-signed, for localhost, 127.0.0.1 and ::1,
// and shared by the servers of the process.
func (s *Server) Certificate() *x509.Certificate {
	return s.leaf
}

// CertificatePEM returns [Server.Certificate] PEM-encoded, for clients
// that are not written in Go: write it to a file and pass it as the CA
// (curl --cacert, Python's ssl.create_default_context(cafile=...)).
func (s *Server) CertificatePEM() []byte {
	if s.leaf == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.leaf.Raw})
}

// ClientTLSConfig returns a client configuration that trusts the server's
// certificate and names the server as it listens (ServerName is the host
// of [Server.Addr]), ready for net/smtp's StartTLS, tls.Dial or go-smtp's
// client. Each call returns a new configuration the caller may change. It
// returns nil if the server does not use TLS.
func (s *Server) ClientTLSConfig() *tls.Config {
	if s.tlsConfig == nil {
		return nil
	}
	host, _, _ := net.SplitHostPort(s.Addr())
	cfg := &tls.Config{ServerName: host}
	if s.leaf != nil {
		cfg.RootCAs = x509.NewCertPool()
		cfg.RootCAs.AddCert(s.leaf)
	}
	return cfg
}

// handshake runs the server side of a TLS handshake on the connection and
// makes TLS its transport. It is bounded by the read timeout (or a minute);
// Close ends it too, by closing the socket.
func (c *conn) handshake() error {
	tc := tls.Server(c.stream, c.srv.tlsConfig) // over the link, if LinkSpeed slows it
	bound := c.srv.cfg.readTimeout
	if bound == 0 {
		bound = time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		c.tr.note("TLS handshake failed: " + err.Error())
		return err
	}
	st := tc.ConnectionState()
	c.stream = tc
	c.tls = &TLSInfo{Version: st.Version, CipherSuite: st.CipherSuite, ServerName: st.ServerName}
	c.tr.note(fmt.Sprintf("TLS established: %s, %s, server name %q", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite), st.ServerName))
	if len(st.PeerCertificates) > 0 {
		c.tls.ClientCertificate = st.PeerCertificates[0]
		c.tr.note(fmt.Sprintf("client certificate: %q, issued by %q", st.PeerCertificates[0].Subject.CommonName, st.PeerCertificates[0].Issuer.CommonName))
	}
	return nil
}

// startTLS answers STARTTLS: 220, then the handshake, after which the
// client must greet again. Bytes the client sent after STARTTLS, before the
// handshake, are dropped: they came in plain text (CVE-2011-0411).
func (c *conn) startTLS(line []byte) error {
	switch {
	case c.tls != nil:
		c.reply(503, smtp.EnhancedCode{5, 5, 1}, "TLS already active")
		return nil
	case len(bytes.TrimSpace(line)) != len("STARTTLS"):
		c.reply(501, smtp.EnhancedCode{5, 5, 4}, "STARTTLS takes no parameters")
		return nil
	case c.authenticated:
		c.reply(503, smtp.EnhancedCode{5, 5, 1}, "STARTTLS after AUTH is not allowed")
		return nil
	}
	c.reply(220, smtp.EnhancedCode{2, 0, 0}, "Ready to start TLS")
	if c.r < c.w {
		c.tr.note(fmt.Sprintf("dropped %d bytes sent after STARTTLS in plain text", c.w-c.r))
		c.r = c.w
	}
	if err := c.flush(); err != nil {
		return c.lost(err)
	}
	if err := c.handshake(); err != nil {
		c.state = lifeGone
		return io.EOF
	}
	c.needHelo = true
	return nil
}
