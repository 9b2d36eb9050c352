package smtptest

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
)

// cramMD5Server is the server side of CRAM-MD5 (RFC 2195): a challenge,
// then the user name and the HMAC-MD5 of the challenge keyed with the
// password. go-sasl has no CRAM-MD5 server (only a client), and the
// mechanism is two lines, so it is written here. It is obsolete (RFC
// 2195's MD5, a password stored in the clear) and offered only when a
// test asks for it with [AuthMechanisms]: old clients still use it, and
// Python's smtplib prefers it when offered.
type cramMD5Server struct {
	challenge     []byte
	password      func(username string) (string, bool)
	authenticated func(username string)
	asked, done   bool
}

func newCRAMMD5Server(domain string, password func(string) (string, bool), authenticated func(string)) *cramMD5Server {
	nonce := make([]byte, 8)
	rand.Read(nonce)
	return &cramMD5Server{
		challenge:     fmt.Appendf(nil, "<%x.%d@%s>", nonce, time.Now().Unix(), domain),
		password:      password,
		authenticated: authenticated,
	}
}

func (a *cramMD5Server) Next(response []byte) (challenge []byte, done bool, err error) {
	switch {
	case a.done:
		return nil, false, sasl.ErrUnexpectedClientResponse
	case !a.asked && len(response) > 0:
		return nil, true, &defaultAuthReply // CRAM-MD5 has no initial response
	case !a.asked:
		a.asked = true
		return a.challenge, false, nil
	}
	a.done = true
	user, digest, ok := strings.Cut(string(response), " ")
	got, err := hex.DecodeString(digest)
	if !ok || err != nil || len(got) != md5.Size {
		return nil, true, &defaultAuthReply
	}
	password, known := a.password(user)
	mac := hmac.New(md5.New, []byte(password))
	mac.Write(a.challenge)
	if !hmac.Equal(mac.Sum(nil), got) || !known {
		return nil, true, &defaultAuthReply
	}
	a.authenticated(user)
	return nil, true, nil
}
