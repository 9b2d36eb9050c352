package smtptest

import (
	"bytes"
	"testing"

	"github.com/emersion/go-sasl"
)

// saslServers makes one server of each mechanism the server speaks
// beyond go-sasl's PLAIN, for the password "s3cret" and the token "t0k"
// of user "app"; ok reports whether one of them authenticated.
func saslServers(ok *bool) map[string]sasl.Server {
	password := func(u string) (string, bool) {
		if u == "app" {
			return "s3cret", true
		}
		return "", false
	}
	authenticated := func(string) { *ok = true }
	check := func(user, token string) error {
		if (user == "app" || user == "") && token == "t0k" {
			*ok = true
			return nil
		}
		return &defaultAuthReply
	}
	return map[string]sasl.Server{
		MechLogin:       &loginServer{authenticate: func(u, p string) error { return check(u, map[bool]string{true: "t0k"}[p == "s3cret"]) }},
		MechCRAMMD5:     newCRAMMD5Server("localhost", password, authenticated),
		MechSCRAMSHA256: newSCRAMServer(password, authenticated),
		MechXOAuth2:     &xoauth2Server{check: check},
		MechOAuthBearer: newOAuthBearerServer(check),
	}
}

// FuzzSASL feeds each hand-written (or guarded) SASL server the lines of
// the input as the client's responses: none may panic, loop, or accept
// without the secret. CRAM-MD5's and SCRAM's proofs cannot be guessed,
// so only a response carrying the token (XOAUTH2, OAUTHBEARER) or the
// password (LOGIN) can succeed.
func FuzzSASL(f *testing.F) {
	f.Add([]byte("user=app\x01auth=Bearer t0k\x01\x01"))
	f.Add([]byte("n,a=app,\x01auth=Bearer bad\x01\x01\n\x01"))
	f.Add([]byte("n,a=app,\x01auth=Bearer bad\x01\x01\n"))
	f.Add([]byte("n,,n=app,r=abc\nc=biws,r=abcdef,p=AAAA\n"))
	f.Add([]byte("p=tls-unique,,n=app,r=x\n"))
	f.Add([]byte("\napp 0123456789abcdef0123456789abcdef\n"))
	f.Add([]byte("app\ns3cret\n"))
	f.Fuzz(func(t *testing.T, input []byte) {
		lines := bytes.Split(input, []byte("\n"))
		for mech := range saslServers(new(bool)) {
			var ok bool
			srv := saslServers(&ok)[mech]
			var response []byte // the first call: no initial response
			if len(lines[0]) > 0 {
				response = lines[0]
			}
			done := false
			for i := 1; i <= len(lines)+2 && !done; i++ { // an error challenge takes one more answer
				var err error
				_, done, err = srv.Next(response)
				if err != nil {
					done = true
					ok = false // a refusal: what authenticated before it does not count
				}
				if i < len(lines) {
					response = lines[i]
				} else {
					response = []byte{}
				}
			}
			if !done {
				t.Fatalf("%s: not done after every response and two more", mech)
			}
			if ok && !bytes.Contains(input, []byte("t0k")) && !bytes.Contains(input, []byte("s3cret")) {
				t.Fatalf("%s accepted %q, which has no secret", mech, input)
			}
		}
	})
}
