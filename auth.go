package smtptest

import (
	"crypto/subtle"
	"errors"
	"maps"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Users makes the server offer AUTH PLAIN and LOGIN (RFC 4954) and accept
// these accounts, user name to password. A wrong password or an unknown
// user gets "535 5.7.8" and is recorded in [Server.Rejections]. The user
// name a client authenticated as is in [Message.AuthUser].
//
// AUTH is offered over plain text too, as the server listens on loopback
// and is a test fixture; [AuthRequiresTLS] or [RequireTLS] refuse that.
// [Hooks] Authenticate, if set, decides instead of the table.
func Users(accounts map[string]string) Option {
	return optionFunc(func(c *config) error {
		if _, ok := accounts[""]; ok {
			return errors.New("smtptest: Users: empty user name")
		}
		c.users = maps.Clone(accounts)
		if c.users == nil {
			c.users = map[string]string{}
		}
		return nil
	})
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
	errAuthRequired     = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
)

// authEnabled reports whether the server offers AUTH at all.
func (s *Server) authEnabled() bool {
	return s.cfg.users != nil || s.cfg.hooks.Authenticate != nil
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

// AuthMechanisms is what go-smtp advertises in the EHLO reply.
func (s *session) AuthMechanisms() []string {
	if s.authRefusal() != nil {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

// Auth starts the server side of an AUTH exchange.
func (s *session) Auth(mech string) (sasl.Server, error) {
	if rep := s.authRefusal(); rep != nil {
		return nil, rep
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && identity != username {
				return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authorization identity must be the user name"}
			}
			return s.authenticate(mech, username, password)
		}), nil
	case sasl.Login:
		return &loginServer{authenticate: func(username, password string) error {
			return s.authenticate(mech, username, password)
		}}, nil
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
	s.authUser = username
	s.c.tr.note("authenticated as " + username)
	return nil
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
