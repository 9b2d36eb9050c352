package smtptest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/smtptest/smtptest/lint"
)

// An Option configures a [Server] at start. Options are made by the
// functions of this package ([ListenAddr], [MaxMessageBytes], ...); a
// [Hooks] value is an Option too.
type Option interface {
	apply(*config) error
}

// optionFunc adapts a function to Option.
type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// Default limits of a [Server].
const (
	// DefaultMaxMessageBytes is the size cap of a message when
	// [MaxMessageBytes] is not given: 32 MiB.
	DefaultMaxMessageBytes = 32 << 20
	// DefaultMaxRecipients is the recipient limit of one transaction when
	// [MaxRecipients] is not given (Postfix's default).
	DefaultMaxRecipients = 1000
	// DefaultCloseTimeout is how long [Server.Close] waits for hooks that
	// are still running before it reports them and returns.
	DefaultCloseTimeout = 5 * time.Second
)

// config is the effective configuration of a Server, built from Options.
type config struct {
	addr            string
	domain          string
	banner          string
	maxMessageBytes int64
	maxRecipients   int
	readTimeout     time.Duration
	writeTimeout    time.Duration
	closeTimeout    time.Duration
	hooks           Hooks
	configure       []func(*smtp.Server)
	faults          []Fault
	seed            uint64
	seedSet         bool
	disabled        map[string]bool // EHLO keywords not advertised
	linkSpeed       int             // bytes per second each way; 0: no limit
	greylist        *greylister     // Greylist; nil: none
	rateLimit       *limiter        // RateLimit; nil: none
	strictSync      *StrictSync     // StrictSync; nil: none
	bounces         []*bounceRule   // Bounces, in the order given
	startTLS        bool
	implicitTLS     bool
	requireTLS      bool
	tlsConfig       *tls.Config
	users           map[string]string // nil: no table
	tokens          map[string]string // Tokens: user name to token; nil: none
	authMechs       []string          // offered, in order; nil until checkAuthMechs fills it
	clientCertAuth  bool              // ClientCertAuth
	requireAuth     bool
	authRequiresTLS bool
	onEvent         func(Event)

	rejectMalformed []lint.Option // nil: accept malformed mail

	retainMessages     int   // 0: no limit
	retainMessageBytes int64 // 0: no limit
	retainTranscripts  int   // of closed connections; 0: no limit
	retainRejections   int   // 0: no limit
}

func defaultConfig() config {
	return config{
		addr:            "127.0.0.1:0",
		domain:          "localhost",
		banner:          "ESMTP smtptest",
		maxMessageBytes: DefaultMaxMessageBytes,
		maxRecipients:   DefaultMaxRecipients,
		closeTimeout:    DefaultCloseTimeout,

		retainTranscripts: DefaultRetainTranscripts,
		retainRejections:  DefaultRetainRejections,
	}
}

// ListenAddr makes the server listen on addr ("host:port") instead of
// 127.0.0.1 with a system-chosen port. Port 0 still lets the system choose.
// Any address the machine has is accepted; only loopback keeps the server
// out of reach of other hosts, and that is the default.
func ListenAddr(addr string) Option {
	return optionFunc(func(c *config) error {
		if addr == "" {
			return errors.New("smtptest: ListenAddr: empty address")
		}
		c.addr = addr
		return nil
	})
}

// Domain sets the server's name, the first word of its greeting
// ("220 <domain> <banner>"). The default is "localhost".
func Domain(name string) Option {
	return optionFunc(func(c *config) error {
		if name == "" || containsControl(name) {
			return fmt.Errorf("smtptest: Domain: invalid name %q", name)
		}
		c.domain = name
		return nil
	})
}

// Banner sets the text that follows the domain in the greeting, as tcllib
// smtpd's -banner does. The default is "ESMTP smtptest".
func Banner(text string) Option {
	return optionFunc(func(c *config) error {
		if containsControl(text) {
			return fmt.Errorf("smtptest: Banner: control character in %q", text)
		}
		c.banner = text
		return nil
	})
}

// MaxMessageBytes caps the size of a message, counted as the client sends
// it after dot-unstuffing (the bytes of [Message.Data]). A message of
// exactly n bytes is accepted; a larger one is refused with
// "552 5.3.4" and nothing of it is recorded, for DATA and BDAT alike, and a
// MAIL command whose SIZE parameter exceeds n is refused the same way. The
// cap is advertised in the EHLO reply. n must be positive; the default is
// [DefaultMaxMessageBytes].
func MaxMessageBytes(n int64) Option {
	return optionFunc(func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("smtptest: MaxMessageBytes(%d): the cap must be positive", n)
		}
		c.maxMessageBytes = n
		return nil
	})
}

// MaxRecipients limits how many recipients one transaction may have; the
// RCPT command past the limit is answered "452 4.5.3". n = 0 removes the
// limit. The default is [DefaultMaxRecipients].
func MaxRecipients(n int) Option {
	return optionFunc(func(c *config) error {
		if n < 0 {
			return fmt.Errorf("smtptest: MaxRecipients(%d): negative limit", n)
		}
		c.maxRecipients = n
		return nil
	})
}

// ReadTimeout bounds how long the server waits for each read from a
// client; a client that stays silent longer is answered "421 4.4.2" and
// disconnected. Zero, the default, waits until the server closes.
func ReadTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d < 0 {
			return fmt.Errorf("smtptest: ReadTimeout(%v): negative duration", d)
		}
		c.readTimeout = d
		return nil
	})
}

// WriteTimeout bounds how long the server waits for a client to take each
// reply; a client that does not read is disconnected. Zero, the default,
// waits until the server closes.
func WriteTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d < 0 {
			return fmt.Errorf("smtptest: WriteTimeout(%v): negative duration", d)
		}
		c.writeTimeout = d
		return nil
	})
}

// CloseTimeout sets how long [Server.Close] waits for hooks that are still
// running before it reports them (through the test's Errorf) and returns.
// The default is [DefaultCloseTimeout].
func CloseTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("smtptest: CloseTimeout(%v): the bound must be positive", d)
		}
		c.closeTimeout = d
		return nil
	})
}

// ConfigureSMTP gives f the go-smtp server before it starts, to set what
// smtptest has no option of its own for: EnableBINARYMIME, EnableREQUIRETLS,
// EnableRRVS, EnableDELIVERBY, EnableMTPRIORITY, LMTP, MaxRecipients, Debug,
// and so on. DSN and SMTPUTF8 are enabled by default; f may turn them off.
//
// smtptest owns some fields because its guarantees rest on them: Backend,
// TLSConfig, AllowInsecureAuth, MaxMessageBytes, MaxLineLength,
// ReadTimeout, WriteTimeout and ErrorLog. (Network and Addr are not used:
// the server listens where [ListenAddr] says.) If f changes one,
// the server does not start and the error names the option to use instead.
// Several ConfigureSMTP options run in the order given.
func ConfigureSMTP(f func(*smtp.Server)) Option {
	return optionFunc(func(c *config) error {
		if f == nil {
			return errors.New("smtptest: ConfigureSMTP: nil function")
		}
		c.configure = append(c.configure, f)
		return nil
	})
}

// extensions are the EHLO keywords go-smtp may advertise.
var extensions = []string{
	"PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "CHUNKING", "SMTPUTF8", "DSN", "SIZE",
	"LIMITS", "BINARYMIME", "REQUIRETLS", "RRVS", "DELIVERBY", "MT-PRIORITY", "AUTH", "STARTTLS",
}

// DisableExtensions stops the server from advertising these EHLO
// extensions, as Postfix's smtp-sink does with -8, -E and -P: a client
// must then do without them. Disabling ENHANCEDSTATUSCODES also removes
// the enhanced codes ("5.1.1") from every reply (RFC 2034 allows them only
// after EHLO advertised them). Keywords are case-insensitive; an unknown
// one is an error.
//
// Only the advertisement changes: go-smtp still accepts, say, BDAT from a
// client that sends it unasked. Turn real support off with
// [ConfigureSMTP] (EnableSMTPUTF8, EnableDSN).
func DisableExtensions(keywords ...string) Option {
	return optionFunc(func(c *config) error {
		for _, k := range keywords {
			k = strings.ToUpper(k)
			if !slices.Contains(extensions, k) {
				return fmt.Errorf("smtptest: DisableExtensions: unknown extension %q (known: %s)", k, strings.Join(extensions, " "))
			}
			if c.disabled == nil {
				c.disabled = map[string]bool{}
			}
			c.disabled[k] = true
		}
		return nil
	})
}

// LinkSpeed makes every connection as slow as a link of bytesPerSecond in
// each direction, like MailHog's Jim: the server sends and takes the
// client's bytes in small pieces, pausing between them. Close ends the
// pauses. Use it to test that a client's timeouts suit a slow peer.
func LinkSpeed(bytesPerSecond int) Option {
	return optionFunc(func(c *config) error {
		if bytesPerSecond <= 0 {
			return fmt.Errorf("smtptest: LinkSpeed(%d): the speed must be positive", bytesPerSecond)
		}
		c.linkSpeed = bytesPerSecond
		return nil
	})
}

// containsControl reports whether s has a byte that cannot appear in a
// reply line (CR, LF and other controls).
func containsControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] == 0x7f {
			return true
		}
	}
	return false
}
