package smtptest

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/emersion/go-sasl"
)

// scramIterations is the PBKDF2 iteration count the server asks for: RFC
// 7677's minimum, which keeps an AUTH at about a millisecond.
const scramIterations = 4096

// scramServer is the server side of SCRAM-SHA-256 (RFC 5802, RFC 7677),
// without channel binding (the -PLUS variant is not offered, so a client
// that insists on it, "p=", is refused). go-sasl has no SCRAM server and
// no well-kept Go library among the project's dependencies has one; the
// exchange is written here from RFC 5802's grammar, with the standard
// library's PBKDF2 and HMAC. Passwords are used as the Users table gives
// them, without SASLprep (RFC 4013): a test's passwords are ASCII. The
// salt is drawn for each exchange, as the table holds passwords in the
// clear; an unknown user goes through the same steps and fails at the
// proof.
type scramServer struct {
	password      func(username string) (string, bool)
	authenticated func(username string)

	step        int  // 0: client-first awaited, 1: client-final awaited, 2: the client's empty answer to server-final, 3: done
	asked       bool // an empty challenge asked for client-first: an empty answer to it fails
	gs2Header   string
	user        string
	nonce       string
	clientFirst string // client-first-message-bare
	serverFirst string
	salted      []byte
	authMessage string
}

func newSCRAMServer(password func(string) (string, bool), authenticated func(string)) *scramServer {
	return &scramServer{password: password, authenticated: authenticated}
}

func (a *scramServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch a.step {
	case 0:
		if len(response) == 0 && !a.asked {
			a.asked = true
			return []byte{}, false, nil // no initial response: an empty challenge asks for it
		}
		if err := a.clientFirstMessage(string(response)); err != nil {
			return nil, true, err
		}
		a.step = 1
		return []byte(a.serverFirst), false, nil
	case 1:
		v, err := a.clientFinalMessage(string(response))
		if err != nil {
			return nil, true, err
		}
		a.step = 2
		return []byte("v=" + v), false, nil
	case 2:
		a.step = 3
		if len(response) != 0 {
			return nil, true, &defaultAuthReply
		}
		a.authenticated(a.user)
		return nil, true, nil
	}
	return nil, true, sasl.ErrUnexpectedClientResponse
}

// clientFirstMessage reads gs2-header client-first-message-bare and makes
// server-first-message.
func (a *scramServer) clientFirstMessage(msg string) error {
	flag, rest, ok1 := strings.Cut(msg, ",")
	authzid, bare, ok2 := strings.Cut(rest, ",")
	if !ok1 || !ok2 || (flag != "n" && flag != "y") {
		return &defaultAuthReply // "p=...": channel binding, which is not offered
	}
	a.gs2Header = flag + "," + authzid + ","
	a.clientFirst = bare
	attrs := strings.Split(bare, ",")
	if len(attrs) < 2 || !strings.HasPrefix(attrs[0], "n=") || !strings.HasPrefix(attrs[1], "r=") || len(attrs[1]) == 2 {
		return &defaultAuthReply
	}
	user, ok := decodeSASLName(attrs[0][2:])
	if !ok || user == "" {
		return &defaultAuthReply
	}
	if authzid != "" {
		if z, ok := decodeSASLName(strings.TrimPrefix(authzid, "a=")); !ok || !strings.HasPrefix(authzid, "a=") || z != user {
			return &errAuthzid
		}
	}
	a.user = user
	salt, nonce := make([]byte, 16), make([]byte, 18)
	rand.Read(salt)
	rand.Read(nonce)
	a.nonce = attrs[1][2:] + base64.RawStdEncoding.EncodeToString(nonce)
	a.serverFirst = "r=" + a.nonce + ",s=" + base64.StdEncoding.EncodeToString(salt) + ",i=" + strconv.Itoa(scramIterations)
	password, _ := a.password(user)
	salted, err := pbkdf2.Key(sha256.New, password, salt, scramIterations, sha256.Size)
	if err != nil {
		return &defaultAuthReply
	}
	a.salted = salted
	return nil
}

// clientFinalMessage checks the client's proof and returns the server
// signature, base64-encoded.
func (a *scramServer) clientFinalMessage(msg string) (string, error) {
	i := strings.LastIndex(msg, ",p=")
	if i < 0 {
		return "", &defaultAuthReply
	}
	withoutProof, proofText := msg[:i], msg[i+len(",p="):]
	attrs := strings.Split(withoutProof, ",")
	if len(attrs) < 2 || attrs[0] != "c="+base64.StdEncoding.EncodeToString([]byte(a.gs2Header)) || attrs[1] != "r="+a.nonce {
		return "", &defaultAuthReply
	}
	proof, err := base64.StdEncoding.DecodeString(proofText)
	if err != nil || len(proof) != sha256.Size {
		return "", &defaultAuthReply
	}
	a.authMessage = a.clientFirst + "," + a.serverFirst + "," + withoutProof
	clientKey := hmacSHA256(a.salted, "Client Key")
	storedKey := sha256.Sum256(clientKey)
	signature := hmacSHA256(storedKey[:], a.authMessage)
	for j := range proof {
		proof[j] ^= signature[j] // proof becomes the client key the client used
	}
	got := sha256.Sum256(proof)
	if _, known := a.password(a.user); !known || subtle.ConstantTimeCompare(got[:], storedKey[:]) != 1 {
		return "", &defaultAuthReply
	}
	serverKey := hmacSHA256(a.salted, "Server Key")
	return base64.StdEncoding.EncodeToString(hmacSHA256(serverKey, a.authMessage)), nil
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// decodeSASLName undoes RFC 5802's saslname escapes: "=2C" is ",", "=3D"
// is "="; any other "=" is an error.
func decodeSASLName(s string) (string, bool) {
	if !strings.Contains(s, "=") {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			b.WriteByte(s[i])
			continue
		}
		switch {
		case strings.HasPrefix(s[i:], "=2C"):
			b.WriteByte(',')
		case strings.HasPrefix(s[i:], "=3D"):
			b.WriteByte('=')
		default:
			return "", false
		}
		i += 2
	}
	return b.String(), true
}
