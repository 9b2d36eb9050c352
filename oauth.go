package smtptest

import (
	"bytes"
	"crypto/subtle"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Tokens makes the server offer AUTH XOAUTH2 and OAUTHBEARER (RFC 7628),
// the OAuth 2.0 bearer-token mechanisms Gmail and Microsoft 365 require
// of apps now that they end basic AUTH, and accept these tokens, user
// name to token. A wrong or unknown token is refused as those servers
// refuse it: a 334 challenge carrying the JSON error ({"status":"401",
// ...} for XOAUTH2, {"status":"invalid_token", ...} for OAUTHBEARER),
// then, after the client's empty or %x01 answer, "535 5.7.8". An
// OAUTHBEARER client that gives no user name (no "a=") is whoever the
// token belongs to. [Hooks] Authenticate, if set, decides instead, with
// the token as the password. The token never reaches the transcript.
func Tokens(tokens map[string]string) Option {
	return optionFunc(func(c *config) (err error) {
		c.tokens, err = accountTable("Tokens", tokens, false)
		return err
	})
}

// authenticateToken checks a bearer token with the Authenticate hook or
// the Tokens table, and records the identity on success.
func (s *session) authenticateToken(mech, user, token string) error {
	if h := s.srv.cfg.hooks.Authenticate; h != nil {
		if rep := s.srv.callHook(s.c, "Authenticate", &defaultAuthReply, func() error { return h(mech, user, token) }); rep != nil {
			return rep
		}
		s.authenticated(mech)(user)
		return nil
	}
	if user == "" {
		for u, t := range s.srv.cfg.tokens {
			if subtle.ConstantTimeCompare([]byte(t), []byte(token)) == 1 {
				user = u
				break
			}
		}
	}
	if want, ok := s.srv.cfg.tokens[user]; !ok || subtle.ConstantTimeCompare([]byte(want), []byte(token)) != 1 {
		return &defaultAuthReply
	}
	s.authenticated(mech)(user)
	return nil
}

// xoauth2Error is the challenge Gmail sends for a token it refuses.
var xoauth2Error = []byte(`{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}`)

// xoauth2Server is the server side of XOAUTH2, Google's forerunner of
// OAUTHBEARER that Gmail and Microsoft 365 speak: one response,
// "user=NAME^Aauth=Bearer TOKEN^A^A". go-sasl has no XOAUTH2 server (it
// dropped the mechanism for OAUTHBEARER), so it is written here.
type xoauth2Server struct {
	check  func(user, token string) error
	failed error // the refusal, sent after the client answers the error challenge
	step   int   // 0: the response awaited, 1: the answer to the error challenge, 2: done
	asked  bool  // an empty challenge asked for the response: an empty answer to it fails
}

func (a *xoauth2Server) Next(response []byte) (challenge []byte, done bool, err error) {
	switch a.step {
	case 0:
		if len(response) == 0 && !a.asked {
			a.asked = true
			return []byte{}, false, nil // no initial response: ask for it
		}
		a.step = 2
		user, token, ok := parseXOAuth2(response)
		if !ok {
			return nil, true, &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 5, 2}, Message: "Malformed XOAUTH2 response"}
		}
		if err := a.check(user, token); err != nil {
			a.step, a.failed = 1, err
			return xoauth2Error, false, nil
		}
		return nil, true, nil
	case 1:
		a.step = 2
		return nil, true, a.failed
	}
	return nil, true, sasl.ErrUnexpectedClientResponse
}

// parseXOAuth2 reads "user=NAME^Aauth=Bearer TOKEN^A^A".
func parseXOAuth2(b []byte) (user, token string, ok bool) {
	fields := bytes.Split(bytes.TrimSuffix(b, []byte("\x01\x01")), []byte("\x01"))
	for _, f := range fields {
		switch {
		case bytes.HasPrefix(f, []byte("user=")):
			user = string(f[len("user="):])
		case len(f) > len("auth=bearer ") && bytes.EqualFold(f[:len("auth=bearer ")], []byte("auth=bearer ")):
			token = string(f[len("auth=bearer "):])
		}
	}
	return user, token, user != "" && token != ""
}

// oauthBearerServer wraps go-sasl's OAUTHBEARER server. go-sasl's reads
// the client's answer to its error challenge as response[0] even when
// the answer is empty (an index out of range that go-smtp turns into a
// 421), and ends with an error that go-smtp answers "454 4.7.0": the
// wrapper answers that step itself, with the 535 5.7.8 of a refused
// credential.
type oauthBearerServer struct {
	inner      sasl.Server
	failed     error // why the token was refused; the go-sasl server's own error when it refused the syntax
	challenged bool  // an error challenge went out: what follows is the client's dummy answer
}

func newOAuthBearerServer(check func(user, token string) error) *oauthBearerServer {
	a := &oauthBearerServer{}
	a.inner = sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
		if err := check(o.Username, o.Token); err != nil {
			a.failed = err
			return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
		}
		return nil
	})
	return a
}

func (a *oauthBearerServer) Next(response []byte) (challenge []byte, done bool, err error) {
	if a.challenged {
		if a.failed != nil {
			return nil, true, a.failed
		}
		return nil, true, &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 5, 2}, Message: "Malformed OAUTHBEARER response"}
	}
	challenge, done, err = a.inner.Next(response)
	if err != nil {
		return nil, true, &defaultAuthReply
	}
	if !done && len(challenge) > 0 {
		a.challenged = true
	}
	return challenge, done, nil
}
