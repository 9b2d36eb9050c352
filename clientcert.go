package smtptest

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
)

// ClientCertAuth makes the server ask TLS clients for a certificate and
// offer AUTH EXTERNAL (RFC 4422 appendix A) to a client that presented
// one: the identity is the certificate's subject common name, as
// Postfix's and Dovecot's certificate logins take it. Certificates are
// verified against the test client CA, which signs those of
// [Server.ClientCertificate]; a certificate it did not sign fails the
// handshake. A client without a certificate is not asked again and is
// offered the other mechanisms only. It implies [StartTLS] unless
// [ImplicitTLS] is given; with [TLSConfig], the configuration's own
// ClientAuth and ClientCAs are kept when set. [Hooks] Authenticate, if
// set, is asked too, with the mechanism EXTERNAL, the identity and an
// empty password.
func ClientCertAuth() Option {
	return optionFunc(func(c *config) error {
		c.clientCertAuth = true
		if !c.implicitTLS {
			c.startTLS = true
		}
		return nil
	})
}

// testClientCA signs the client certificates of [Server.ClientCertificate]:
// one for the process, made on first use. It is not the server's test
// certificate, whose key usage is the server's.
var testClientCA = sync.OnceValues(func() (clientCA, error) {
	now := time.Now()
	cert, key, err := makeCert(&x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{Organization: []string{"smtptest"}, CommonName: "smtptest test client CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}, nil, nil)
	return clientCA{cert, key}, err
})

// clientCA is the test client CA: its certificate and key.
type clientCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// clientCertSerial numbers the client certificates.
var clientCertSerial struct {
	sync.Mutex
	n int64
}

// ClientCertificate makes a TLS client certificate for name (its subject
// common name, the identity AUTH EXTERNAL establishes), signed by the
// test client CA that servers with [ClientCertAuth] trust. Give it to a
// client as its certificate:
//
//	cfg := srv.ClientTLSConfig()
//	cfg.Certificates = []tls.Certificate{cert}
func (s *Server) ClientCertificate(name string) (tls.Certificate, error) {
	if name == "" {
		return tls.Certificate{}, errors.New("smtptest: ClientCertificate: empty name")
	}
	ca, err := testClientCA()
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("smtptest: ClientCertificate: %w", err)
	}
	clientCertSerial.Lock()
	clientCertSerial.n++
	serial := clientCertSerial.n + 1 // the CA is 1
	clientCertSerial.Unlock()
	now := time.Now()
	leaf, key, err := makeCert(&x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, ca.cert, ca.key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("smtptest: ClientCertificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: key, Leaf: leaf}, nil
}

// clientAuthConfig returns cfg asking for client certificates signed by
// the test client CA, where cfg does not say otherwise.
func clientAuthConfig(cfg *tls.Config) (*tls.Config, error) {
	cfg = cfg.Clone()
	if cfg.ClientAuth == tls.NoClientCert {
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	}
	if cfg.ClientCAs == nil {
		ca, err := testClientCA()
		if err != nil {
			return nil, fmt.Errorf("smtptest: make the test client CA: %w", err)
		}
		cfg.ClientCAs = x509.NewCertPool()
		cfg.ClientCAs.AddCert(ca.cert)
	}
	return cfg, nil
}

// peerCertificate is the certificate the client presented in the TLS
// handshake, verified; nil if none.
func (c *conn) peerCertificate() *x509.Certificate {
	if c.tls == nil {
		return nil
	}
	return c.tls.ClientCertificate
}

// externalServer is the server side of EXTERNAL: the identity is the
// client certificate's common name; an authorization identity, if the
// client gives one, must be the same.
func (s *session) externalServer() sasl.Server {
	return sasl.NewExternalServer(func(authzid string) error {
		cert := s.c.peerCertificate()
		if cert == nil || cert.Subject.CommonName == "" {
			return &errNoCertificate
		}
		name := cert.Subject.CommonName
		if authzid != "" && authzid != name {
			return &errAuthzid
		}
		if h := s.srv.cfg.hooks.Authenticate; h != nil {
			if rep := s.srv.callHook(s.c, "Authenticate", &defaultAuthReply, func() error { return h(MechExternal, name, "") }); rep != nil {
				return rep
			}
		}
		s.authenticated(MechExternal)(name)
		return nil
	})
}
