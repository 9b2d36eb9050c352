package smtptest

import (
	"time"

	"github.com/smtptest/smtptest/lint"
)

// profile is a named set of options.
type profile []Option

func (p profile) apply(c *config) error {
	for _, o := range p {
		if err := o.apply(c); err != nil {
			return err
		}
	}
	return nil
}

// LikePostfix makes the server receive as Postfix 3.9 does with its
// defaults: messages up to 10,240,000 bytes (message_size_limit; 552
// 5.3.4 past it), 1,000 recipients a message (smtpd_recipient_limit; 452
// past it), 50 connections open at once from one client
// (smtpd_client_connection_count_limit; 421 4.7.0), and no pipelining
// where RFC 2920 forbids it (smtpd_forbid_unauth_pipelining, on by
// default since 3.9; 554 5.5.0). Options given after it change any of
// these. Postfix's greylisting and postscreen are add-ons: add [Greylist]
// and a [StrictSync] GreetPause for them.
func LikePostfix() Option {
	return profile{
		MaxMessageBytes(10240000),
		MaxRecipients(1000),
		RateLimit{Concurrent: 50},
		StrictSync{},
	}
}

// LikeGmail makes the server receive as Gmail's MX does of a bulk
// sender, as far as it can be told from outside: messages up to 25 MB
// (Gmail answers 552 5.2.3 past it; this server 552 5.3.4), at most 100
// recipients a message (452 4.5.3 in Gmail; 452 here), mail that is not
// well formed refused with 550 5.7.1 by lint's bulk-sender profile (a
// Message-ID, one-click unsubscription, a DKIM signature aligned with
// From, MAIL FROM aligned), and a sender going too fast throttled with
// 421 4.7.0 (Gmail: 421 4.7.28) past 100 messages or 1,000 recipients a
// minute from one address (Gmail's limits are reputation's and
// unpublished: these are a test's stand-ins). Options given after it
// change any of these.
func LikeGmail() Option {
	return profile{
		MaxMessageBytes(25 << 20),
		MaxRecipients(100),
		RejectMalformed(lint.BulkSender()),
		RateLimit{Messages: 100, Recipients: 1000, Period: time.Minute},
	}
}
