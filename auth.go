package smtptest

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Users makes the server offer AUTH PLAIN and LOGIN (RFC 4954) and accept
// these accounts, user name to password; [AuthMechanisms] offers
// CRAM-MD5 and SCRAM-SHA-256 over the same table. A wrong password or an
// unknown user gets "535 5.7.8" and is recorded in [Server.Rejections].
// The user name a client authenticated as is in [Message.AuthUser], the
// mechanism in [Message.AuthMech].
//
// AUTH is offered over plain text too, as the server listens on loopback
// and is a test fixture; [AuthRequiresTLS] or [RequireTLS] refuse that.
// [Hooks] Authenticate, if set, decides instead of the table.
func Users(accounts map[string]string) Option {
	return optionFunc(func(c *config) (err error) {
		c.users, err = accountTable("Users", accounts, true)
		return err
	})
}

// accountTable is a copy of the accounts of option opt (Users, Tokens),
// never nil: the server offers AUTH with an empty table too. Names must
// not be empty, nor secrets unless emptyOK.
func accountTable(opt string, accounts map[string]string, emptyOK bool) (map[string]string, error) {
	for name, secret := range accounts {
		if name == "" || (secret == "" && !emptyOK) {
			return nil, fmt.Errorf("smtptest: %s: empty user name or secret", opt)
		}
	}
	if accounts == nil {
		return map[string]string{}, nil
	}
	return maps.Clone(accounts), nil
}

// RequireAuth makes the server refuse MAIL from a client that has not
// authenticated, with "530 5.7.0 Authentication required".
func RequireAuth() Option {
	return optionFunc(func(c *config) error {
		c.requireAuth = true
		return nil
	})
}

// AuthRequiresTLS makes the server offer AUTH only after STARTTLS (or with
// [ImplicitTLS]); an AUTH over plain text gets "538 5.7.11 Encryption
// required for requested authentication mechanism".
func AuthRequiresTLS() Option {
	return optionFunc(func(c *config) error {
		c.authRequiresTLS = true
		return nil
	})
}

// The replies of AUTH and of the TLS and AUTH requirements.
var (
	defaultAuthReply    = smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
	errEncryptionNeeded = &smtp.SMTPError{Code: 538, EnhancedCode: smtp.EnhancedCode{5, 7, 11}, Message: "Encryption required for requested authentication mechanism"}
	errTLSRequired      = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}
	errNoCertificate    = smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "No client certificate to authenticate with"}
	errAuthzid          = smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authorization identity must be the user name"}
	errAuthRequired     = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
)

// The SASL mechanisms the server speaks, for [AuthMechanisms] and
// [Message.AuthMech].
const (
	MechPlain       = "PLAIN"         // RFC 4616; the Users table or the Authenticate hook
	MechLogin       = "LOGIN"         // draft-murchison-sasl-login; likewise
	MechCRAMMD5     = "CRAM-MD5"      // RFC 2195; the Users table only
	MechSCRAMSHA256 = "SCRAM-SHA-256" // RFC 7677; the Users table only
	MechXOAuth2     = "XOAUTH2"       // Google's; Tokens or the Authenticate hook
	MechOAuthBearer = "OAUTHBEARER"   // RFC 7628; likewise
	MechExternal    = "EXTERNAL"      // RFC 4422 A; a TLS client certificate (ClientCertAuth)
)

// AuthMechanisms makes the server offer exactly these SASL mechanisms, in
// this order, instead of those its options enable by themselves ([Users]
// and the Authenticate hook: PLAIN and LOGIN; [Tokens]: XOAUTH2 and
// OAUTHBEARER too; [ClientCertAuth]: EXTERNAL). A client that tries one
// left out gets "504 5.7.4". Each needs what checks it: CRAM-MD5 and
// SCRAM-SHA-256 prove a password without sending it, so they need the
// [Users] table (the hook never sees a password to check); XOAUTH2 and
// OAUTHBEARER need [Tokens] or the Authenticate hook; EXTERNAL needs
// [ClientCertAuth]. NewServer fails otherwise.
func AuthMechanisms(mechs ...string) Option {
	return optionFunc(func(c *config) error {
		if len(mechs) == 0 {
			return errors.New("smtptest: AuthMechanisms: no mechanism")
		}
		c.authMechs = nil
		for _, m := range mechs {
			m = strings.ToUpper(m)
			if !slices.Contains(allMechs, m) {
				return fmt.Errorf("smtptest: AuthMechanisms: unknown mechanism %q (the server speaks %s)", m, strings.Join(allMechs, ", "))
			}
			if !slices.Contains(c.authMechs, m) {
				c.authMechs = append(c.authMechs, m)
			}
		}
		return nil
	})
}

// allMechs are the mechanisms the server speaks.
var allMechs = []string{MechPlain, MechLogin, MechCRAMMD5, MechSCRAMSHA256, MechXOAuth2, MechOAuthBearer, MechExternal}

// checkAuthMechs fails a configuration whose AuthMechanisms name a
// mechanism nothing checks; otherwise it fills in the default list.
func (c *config) checkAuthMechs() error {
	if c.authMechs == nil {
		if c.users != nil || c.hooks.Authenticate != nil {
			c.authMechs = append(c.authMechs, MechPlain, MechLogin)
		}
		if c.tokens != nil {
			c.authMechs = append(c.authMechs, MechXOAuth2, MechOAuthBearer)
		}
		if c.clientCertAuth {
			c.authMechs = append(c.authMechs, MechExternal)
		}
		return nil
	}
	for _, m := range c.authMechs {
		var ok bool
		var need string
		switch m {
		case MechPlain, MechLogin:
			ok, need = c.users != nil || c.hooks.Authenticate != nil, "Users or the Authenticate hook"
		case MechCRAMMD5, MechSCRAMSHA256:
			ok, need = c.users != nil, "the Users table"
		case MechXOAuth2, MechOAuthBearer:
			ok, need = c.tokens != nil || c.hooks.Authenticate != nil, "Tokens or the Authenticate hook"
		case MechExternal:
			ok, need = c.clientCertAuth, "ClientCertAuth"
		}
		if !ok {
			return fmt.Errorf("smtptest: AuthMechanisms: %s needs %s", m, need)
		}
	}
	return nil
}

// authEnabled reports whether the server offers AUTH at all.
func (s *Server) authEnabled() bool {
	return len(s.cfg.authMechs) > 0
}

// authRefusal is why AUTH is refused on the connection as it is now, or
// nil.
func (s *session) authRefusal() *smtp.SMTPError {
	switch {
	case !s.srv.authEnabled():
		return smtp.ErrAuthUnsupported
	case s.c.tlsInfo() == nil && s.srv.cfg.requireTLS:
		return errTLSRequired
	case s.c.tlsInfo() == nil && s.srv.cfg.authRequiresTLS:
		return errEncryptionNeeded
	}
	return nil
}

// AuthMechanisms is what go-smtp advertises in the EHLO reply: EXTERNAL
// only where the client presented a certificate.
func (s *session) AuthMechanisms() []string {
	if s.authRefusal() != nil {
		return nil
	}
	mechs := s.srv.cfg.authMechs
	if slices.Contains(mechs, MechExternal) && s.c.peerCertificate() == nil {
		mechs = slices.DeleteFunc(slices.Clone(mechs), func(m string) bool { return m == MechExternal })
	}
	return mechs
}

// Auth starts the server side of an AUTH exchange.
func (s *session) Auth(mech string) (sasl.Server, error) {
	if rep := s.authRefusal(); rep != nil {
		return nil, rep
	}
	if !slices.Contains(s.srv.cfg.authMechs, mech) {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	switch mech {
	case MechPlain:
		return sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && identity != username {
				return &errAuthzid
			}
			return s.authenticate(mech, username, password)
		}), nil
	case MechLogin:
		return &loginServer{authenticate: func(username, password string) error {
			return s.authenticate(mech, username, password)
		}}, nil
	case MechCRAMMD5:
		return newCRAMMD5Server(s.srv.cfg.domain, s.password, s.authenticated(mech)), nil
	case MechSCRAMSHA256:
		return newSCRAMServer(s.password, s.authenticated(mech)), nil
	case MechXOAuth2:
		return &xoauth2Server{check: func(user, token string) error { return s.authenticateToken(mech, user, token) }}, nil
	case MechOAuthBearer:
		return newOAuthBearerServer(func(user, token string) error { return s.authenticateToken(mech, user, token) }), nil
	case MechExternal:
		return s.externalServer(), nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// authenticate checks the credentials with the Authenticate hook or the
// Users table, and records the identity on success.
func (s *session) authenticate(mech, username, password string) error {
	if h := s.srv.cfg.hooks.Authenticate; h != nil {
		if rep := s.srv.callHook(s.c, "Authenticate", &defaultAuthReply, func() error { return h(mech, username, password) }); rep != nil {
			return rep
		}
	} else if want, ok := s.srv.cfg.users[username]; !ok || subtle.ConstantTimeCompare([]byte(want), []byte(password)) != 1 {
		return &defaultAuthReply
	}
	s.authenticated(mech)(username)
	return nil
}

// password is the Users table's password of username, for the
// mechanisms that prove it without sending it.
func (s *session) password(username string) (string, bool) {
	p, ok := s.srv.cfg.users[username]
	return p, ok
}

// authenticated returns the function that records a successful AUTH
// with mech: the identity, the mechanism, a line in the transcript.
func (s *session) authenticated(mech string) func(username string) {
	return func(username string) {
		s.authUser, s.authMech = username, mech
		s.c.tr.note("authenticated as " + username + " with " + mech)
	}
}

// loginServer is the server side of the LOGIN mechanism
// (draft-murchison-sasl-login). go-sasl has a LOGIN client but no server,
// and LOGIN is still what many mailers use, so this small state machine is
// written here: the user name comes as the initial response or after a
// "Username:" challenge, then the password after "Password:".
type loginServer struct {
	step         int // 0: start, 1: user name asked, 2: password asked, 3: done
	username     string
	authenticate func(username, password string) error
}

func (a *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch a.step {
	case 0:
		if len(response) == 0 {
			a.step = 1
			return []byte("Username:"), false, nil
		}
		a.username, a.step = string(response), 2
		return []byte("Password:"), false, nil
	case 1:
		a.username, a.step = string(response), 2
		return []byte("Password:"), false, nil
	case 2:
		a.step = 3
		return nil, true, a.authenticate(a.username, string(response))
	}
	return nil, false, sasl.ErrUnexpectedClientResponse
}
