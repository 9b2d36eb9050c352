// Package smtptest is to SMTP what net/http/httptest is to HTTP: a real
// SMTP server on loopback, started by one call inside a Go test, that
// records every message it accepts and goes away by itself when the test
// ends.
//
//	func TestSignupSendsWelcome(t *testing.T) {
//		srv := smtptest.NewServer(t)
//		app := NewApp(Config{SMTPAddr: srv.Addr()})
//
//		app.Signup("ann@example.org")
//
//		msgs := srv.Messages()
//		if len(msgs) != 1 || msgs[0].To[0] != "ann@example.org" {
//			t.Fatalf("sent %v", msgs)
//		}
//	}
//
// The server is built on github.com/emersion/go-smtp. It listens on
// 127.0.0.1 with a system-chosen port, so any number of servers can run in
// parallel tests. [Server.Messages] returns what was accepted, envelope and
// bytes, with the facts of the session (HELO name, client address, TLS,
// MAIL parameters) and MIME accessors that parse it with
// github.com/emersion/go-message: [Message.Subject], [Message.TextBody],
// [Message.HTMLBody], [Message.Attachments].
//
// # Guarantees
//
//   - Recorded before acknowledged: a message is in [Server.Messages]
//     before the client reads the 250 reply to its final dot, so a test
//     whose code sends synchronously never waits. [Server.WaitForMessages]
//     serves code that sends in the background; it wakes as soon as the
//     message arrives.
//   - Nothing lost, nothing invented: every message acknowledged with 250
//     is recorded exactly once, byte for byte; a refused one is not (it is
//     in [Server.Rejections]).
//   - Isolation: servers share nothing.
//   - Clean end: [Server.Close] (registered with t.Cleanup by [NewServer])
//     ends every connection, even mid-message, and waits for every
//     goroutine the server started.
//   - Helpful failure: when a test fails, the SMTP dialogue of every
//     connection is in the test log ([Server.Transcript]), AUTH secrets
//     masked.
//   - Safe by default: loopback only; messages over 32 MiB are refused
//     with 552 and not kept.
//   - Bad input gets an SMTP error or is recorded as it came; the MIME
//     accessors return errors, never panic.
//
// # Hooks
//
// [Hooks] are callbacks after tcllib smtpd's: ValidateHost,
// ValidateSender, ValidateRecipient, Deliver and DeliverMIME. A hook's
// error refuses the command, with the error's own code if it is an
// [*smtp.SMTPError] and the stage's default otherwise (see [Hooks]).
//
// # Faults
//
// A [Fault] is misbehaviour as data: at a [Stage] of the dialogue, for the
// commands whose argument matches, a delay, a reply of any 4xx/5xx code,
// or a dropped connection, a number of times or at a rate replayable from
// a [Seed]. Faults are Options, and [Server.Inject] adds them while the
// server runs; [RejectRecipient], [FailNextDelivery], [DropAfterData],
// [Greet421] and [SlowReplies] cover the common cases in one line.
//
// # TLS and AUTH
//
// [StartTLS] and [ImplicitTLS] use one self-signed certificate per process
// (for localhost, 127.0.0.1 and ::1); [Server.ClientTLSConfig] trusts it and
// [Server.CertificatePEM] exports it. [Users] enables AUTH PLAIN and LOGIN;
// [Tokens] XOAUTH2 and OAUTHBEARER; [AuthMechanisms] chooses among those and
// CRAM-MD5 and SCRAM-SHA-256; [ClientCertAuth] offers EXTERNAL to a client
// with a certificate from [Server.ClientCertificate]. [RequireTLS],
// [RequireAuth] and [AuthRequiresTLS] test clients that must upgrade or log
// in. Each [Message] records [Message.AuthUser], [Message.AuthMech] and
// [Message.TLS]; the transcript shows TLS sessions in plain text with AUTH
// secrets masked.
//
// # Behaving like a real receiver
//
// [Greylist], [RateLimit] and [StrictSync] refuse as Postgrey, Gmail's
// throttling and Postfix's pipelining checks do, [LikePostfix] and
// [LikeGmail] bundle them, and a [FakeClock] moves their time without a
// sleep. Mail that was accepted can come back: [Server.Bounce] makes an RFC
// 3464 DSN, [Server.Complain] an ARF feedback report, [Server.AutoReply] an
// out-of-office reply, each a [Notice] to hand to the app or send to its
// inbound server; [Bounces] bounces matching recipients by itself.
//
// # Judging what was sent
//
// [Message.Lint] checks a message with package lint (RFC 5322, MIME, the
// bulk-sender rules) and [RejectMalformed] refuses malformed mail as Gmail
// does; [Message.Links] lists what a reader could click. [Server.NewDKIMKey]
// makes a DKIM key for the application under test and [Server.VerifyDKIM]
// verifies what it signed against the keys registered with the server
// ([Server.DKIMKeys], package dkimtest), never DNS. Package assert checks
// all of it from a test (assert.WellFormed, assert.Golden, assert.DKIM).
//
// # Watching and stopping
//
// [OnEvent] reports connects, messages, refusals and closes as they happen;
// [Server.Shutdown] stops gracefully. The command cmd/smtptest runs the
// server as a process on both, with flags for every option, faults in a
// compact text form, .eml and mbox files, and an HTTP JSON API.
//
// # Two layers
//
// [NewServer] takes the test's testing.TB: it fails the test if the server
// cannot start, closes the server at the end of the test, and logs the
// transcript when the test failed. [Start] makes the same server without a
// test, for programs and examples; its caller closes it.
package smtptest
