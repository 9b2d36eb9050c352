// Command smtptest runs the smtptest fixture as a standalone SMTP server,
// for checking by hand what an application sends, or for testing programs
// written in other languages. It keeps every message it accepts, prints
// them as they arrive, can save them as .eml files or an mbox, refuses and
// misbehaves on demand (faults), speaks STARTTLS, implicit TLS and AUTH,
// lints each message and verifies its DKIM signatures, and with -http
// serves a web UI, an HTTP JSON API and the core of Mailpit's API v1 (so
// that Mailpit's clients work against it).
//
// Run "smtptest -h" for the manual.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/internal/jsonview"
	"github.com/smtptest/smtptest/web"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, nil))
}

const manual = `NAME
    smtptest - an SMTP server that keeps what it receives, for testing

SYNOPSIS
    smtptest [options]

DESCRIPTION
    smtptest listens on 127.0.0.1:2525 (see -addr), accepts every message
    (unless told otherwise), keeps them in memory, and prints one line when
    it is ready and one line per message received (time, sender, recipients,
    subject, size) and per refusal. It is the Go package
    github.com/smtptest/smtptest as a process: the same server, the same
    faults, for people testing by hand and for tests in other languages.

    SIGINT or SIGTERM stop it gracefully: messages in flight (between MAIL
    and the end of their data) are received, every other session is told
    "421 4.3.2", a summary is printed, and the exit status is 0.

    Output never holds up the server: if standard output or error is not
    read (a pipe nobody drains), lines are dropped and counted, and a line
    says so when the output is read again, and in the summary.

    Messages saved with -dir or -mbox are written before the client gets
    its 250; a message that cannot be saved is refused with "451 4.3.0"
    (the client retries) and the error is printed: nothing is lost
    silently.

LINT
    Each message is checked by package lint (RFC 5322, MIME, bulk-sender
    rules: see the README's table): its line says how many problems it has,
    the -json message event and GET /api/messages/{id} list them (rule,
    severity, ref, part, line, text). -reject-malformed refuses a message
    with an error problem: "550 5.7.1 <problem> (<RFC>)", nothing kept.
    -bulk-sender adds the Gmail and Yahoo bulk-sender rules: a Message-ID,
    one-click List-Unsubscribe (RFC 8058), and a DKIM signature by a domain
    aligned with From that signs From and the unsubscribe fields.

DKIM
    Each message's DKIM signatures are verified against the keys given with
    -dkim-key domain:selector:file, never DNS: the file holds the key's DNS
    TXT record text ("v=DKIM1; k=rsa; p=MIIB..."), or its public or private
    key in PEM. The message line says which domain signed and whether it
    verified ("DKIM d=example.com verified (strict)", "DKIM d=example.com
    s=s1 failed: body hash mismatch: ..."); the -json message event and
    GET /api/messages/{id} list each signature (domain, selector,
    algorithm, canonicalization, header_keys, missing (h= names no field
    has), body_hash, body_length, unsigned_body,
    verified, error, reason, from_domain, aligned). With keys, a signature
    that does not verify is a lint error (dkim/invalid), so
    -reject-malformed refuses it.

LIMITS
    Memory stays bounded on a long run: the last -max-messages messages
    (and at most -max-store-bytes of them, counting with each message what
    the HTTP API keeps of it to list and search it) are kept, the
    transcripts of the last -max-transcripts closed connections (each at
    most 64 KiB) and the last -max-rejections refusals; older ones are
    forgotten, and a line says so. Each message is at most -max-size
    bytes. 0 lifts a limit. The Go runtime gets a soft memory limit of
    1.5 times -max-store-bytes, plus twice -max-size, plus 64 MiB, unless
    GOMEMLIMIT is set.
    A client silent for -read-timeout, or that takes no reply for
    -write-timeout, is disconnected.

OPTIONS
%s
FAULTS
    -fault makes the server misbehave; give it several times for several
    faults. Each is one string:

        ` + smtptest.FaultSyntax + `

    STAGE is connect, helo, auth, mail, rcpt, data, end-of-data (or eod),
    rset, noop or quit. MATCH selects commands by their argument (address,
    HELO domain, AUTH mechanism; the recipients at data and end-of-data),
    exactly or as a glob like *@example.org, ignoring case; "<>" is the null
    sender. The action is "reply" with a 4xx or 5xx code (the text is the
    rest of the string), "drop" (hang up without a reply; with after=N, after
    N bytes of the message body), or only delay=D. times=N fires N times in
    all, rate=P with probability P, replayable with -seed. At most 256
    faults are in force at once (the -fault options, POST /api/faults and
    the chaos triggers together; more is refused). Reply text is ASCII.

    Examples:
        -fault 'rcpt *@bad.example reply 550 5.1.1 No such user'
                    reject every recipient at bad.example with 550
        -fault 'end-of-data times=1 reply 451 4.3.0 Try again later'
                    fail the first delivery with 451, accept the retry
        -fault 'end-of-data drop'
                    hang up after every message body, without a reply
        -fault 'connect reply 421 4.3.2 Too busy'
                    greet every client with 421 and hang up
        -fault 'data delay=30s'
                    answer DATA after 30 seconds (test client timeouts)
        -fault 'rcpt rate=0.1 reply 450 4.2.1 Mailbox busy' -seed 42
                    refuse one recipient in ten, the same ones every run

HTTP API
    With -http ADDR (on loopback, say 127.0.0.1:8025), a JSON API serves
    tests in other languages. Each message has an id, from 1, for the
    server's whole life: the console, -json, -dir file names and the API
    use the same one, and DELETE does not reuse them.

        GET    /api/messages                   every message kept (summary)
        GET    /api/messages/wait?count=N&timeout=D
                                               wait until N messages arrived since the start
                                               or the last DELETE (timeout default 10s,
                                               at most 10m); 408 on timeout
        GET    /api/messages/{id}              one, with headers, text, HTML, attachments,
                                               lint problems and DKIM results
        GET    /api/messages/{id}/raw          the message as received (message/rfc822)
        GET    /api/messages/{id}/attachments/{n}
                                               its n-th attachment (from 1), to download
        DELETE /api/messages                   forget messages, refusals and the
                                               transcripts of closed connections
        GET    /api/rejections                 every refusal
        GET    /api/faults                     the faults in force
        POST   /api/faults                     add a fault (the body is its text, as -fault)
        DELETE /api/faults/{id}                remove one
        DELETE /api/faults                     remove all
        GET    /api/transcript                 the SMTP dialogue of every connection

    The API answers only requests that name it by a loopback name or
    address or the address it listens on (no DNS rebinding), and refuses
    requests that change state from any other origin (an Origin other than
    the request's own host and port, or Sec-Fetch-Site cross-site or
    same-site: another local server's page is refused too).

        GET    /api/messages/wait?query=Q&count=N&timeout=D
                                               wait until N messages kept match the search Q
                                               (the syntax of MAILPIT API below); answers those

    Examples:
        curl -s localhost:8025/api/messages/wait?count=1
        curl -s localhost:8025/api/messages/1/raw
        curl -s -X POST --data 'rcpt *@bad.example reply 550' localhost:8025/api/faults
        curl -s -X DELETE localhost:8025/api/messages

WEB UI
    With -http, a browser pointed at the address (http://127.0.0.1:8025/)
    shows the messages as they arrive (no reload), searchable with the
    syntax of MAILPIT API below; each message's HTML (in a sandbox: no
    scripts, remote content only when asked for), text, headers, source
    with its lint problems marked, attachments to download, links to
    check, the transcript of its connection, lint and DKIM results; the
    refusals and transcripts, live; the faults (add one in the -fault form,
    remove, clear) and the seed; delete one message or all. Everything it
    needs is in the binary: it loads nothing from the network. Keys: / to
    search, up and down (or j and k) to move, Enter to open, Delete to
    delete, left and right between tabs.

    A link's "Check" fetches that link, and only a link of that message,
    http or https: a HEAD request (GET only if the server answers HEAD
    with 405 or 501, as GET may use up a one-time link), without the
    link's user:password, following at most 5 redirects, reading at most
    1 MiB, for at most 10 s, with no proxy. Links to loopback (the apps
    under test) are fetched; these are refused, judged on the address
    dialled after DNS and after each redirect: link-local addresses (cloud
    metadata services such as 169.254.169.254), private and shared
    addresses (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7 with AWS's
    fd00:ec2::254), multicast, broadcast, unspecified, and smtptest's own
    SMTP and HTTP listeners.

MAILPIT API
    With -http, the server also answers the core of Mailpit's REST API v1,
    with Mailpit's paths, status codes and JSON, so that Mailpit's clients
    (npm mailpit-api, cypress-mailpit, pytest-mailpit, ...) work unmodified:

        GET    /api/v1/messages?start=&limit=  newest first, 50 a page (limit=0: all)
        PUT    /api/v1/messages                read status: {"IDs":[...],"Read":true},
                                               or {"Search":"...","Read":false}, or all
        DELETE /api/v1/messages                {"IDs":[...]}; no body, {} or no IDs:
                                               every message (a body that does not
                                               parse: 400, nothing deleted)
        GET    /api/v1/search?query=&start=&limit=&tz=
        DELETE /api/v1/search?query=
        GET    /api/v1/message/{ID}            the message (marks it read); ID may be
                                               "latest" (?query= for the latest match)
        GET    /api/v1/message/{ID}/headers    GET /api/v1/message/{ID}/raw
        GET    /api/v1/message/{ID}/part/{PartID}
        GET    /api/v1/info
        GET    /api/v1/tags                    every tag in use
        PUT    /api/v1/tags                    {"IDs":[...],"Tags":[...]}: set those messages' tags
        PUT    /api/v1/tags/{tag}              {"Name":"new"}: rename it
        DELETE /api/v1/tags/{tag}              take it off every message
        GET    /api/v1/chaos                   PUT /api/v1/chaos
        GET    /view/{ID}.html, /view/{ID}.txt GET /livez, /readyz

    Tags are Mailpit's: a message arriving gets those of its X-Tags field
    ("a, b"), of the plus-addresses in its From, To, Cc and envelope
    recipients (ann+signup@example.org: signup), and with -tags-username
    its AUTH user; -tags-disable x-tags,plus-addresses turns the first two
    off. A tag holds letters, digits, "-", " ", "_", "." and "@" (others
    become spaces), at most 100 bytes, and is one tag whatever its case
    (the first spelling stays). They show in the lists, the web UI, tag:
    and is:tagged, and /api/v1/info.

    IDs are those of the console and /api ("1", "2", ...). The search
    syntax is Mailpit's: to: from: cc: bcc: reply-to: addressed: subject:
    message-id: tag: is:read is:unread is:tagged has:attachment has:inline before:
    after: larger: smaller:, "quoted phrases", free text; - or ! negates.
    A search has at most 32 terms and 4 KiB (400 beyond). Unlike Mailpit,
    a DELETE or a read-status change by a search that selects by nothing
    once parsed (a lone quote, "to:", ",") or has a filter it cannot read
    (before:xyz) is refused with 400 and changes nothing, never "all".
    Chaos triggers (Sender at MAIL, Recipient at RCPT, Authentication at
    AUTH; ErrorCode, Probability 0-100) are faults like the others: they
    show in /api/faults, -seed replays them, and GET /api/v1/chaos reports
    the faults in force as triggers. What Mailpit has and this does not:
    POP3, relaying, sending through the API, tag filters (--tags), the HTML and link
    checks, SpamAssassin, thumbnails, the SQLite database (messages are in
    memory, and in -dir or -mbox if asked). /view/{ID}.html serves the
    message's HTML in a sandbox (no scripts, an origin of its own).

SANDBOXES
    With -http, a test in any language can have a server of its own, one
    request away, so that parallel tests never see each other's mail:

        POST   /api/sandboxes                  make one; the JSON body (every field
                                               optional) is its options, the answer
                                               its id, SMTP address and base URL (201)
        GET    /api/sandboxes                  every sandbox
        GET    /api/sandboxes/{id}             one
        DELETE /api/sandboxes/{id}             close it, and forget its mail (204)

    A sandbox has its own SMTP port (on -addr's host; -sandbox-ports picks
    them from a range), record, faults, refusals, transcripts and seed,
    and everything above is served for it under its base URL
    (http://HOST/sandboxes/{id}/api/..., .../api/v1/..., its web UI at
    .../sandboxes/{id}/): point a Mailpit client's base URL there and it
    sees that sandbox alone. Its options, as JSON:

        ttl               "15m": it goes after this long without a request
                          under its path or an SMTP connection (1s to 24h)
        faults            ["rcpt *@bad.example reply 550", ...] as -fault
        seed              a number, as -seed
        users             {"name": "password"}, as -user
        starttls, tls, require_tls, require_auth, auth_requires_tls,
        reject_malformed, bulk_sender
                          true, as the flags of those names (with TLS, the
                          answer has the certificate to trust, PEM)
        dkim_keys         [{"domain": ..., "selector": ..., "key": TXT or PEM}]
        tags_disable      ["x-tags", "plus-addresses"], as -tags-disable
        tags_username     true, as -tags-username
        max_messages, max_store_bytes, max_transcripts, max_rejections
                          its retention (default: the command's)

    It takes the command's -domain, -banner, -max-size, -max-recipients,
    timeouts and -tls-cert, and nothing else of its (no faults, users or
    keys). Its messages are not printed, nor saved with -dir or -mbox; the
    output says when a sandbox is made, deleted or expired. At most
    -max-sandboxes at once (429 past it); all go when the command stops.

        curl -s -X POST -d '{"ttl": "10m"}' localhost:8025/api/sandboxes
        curl -s localhost:8025/sandboxes/ID/api/v1/messages
        curl -s -X DELETE localhost:8025/api/sandboxes/ID

CONTAINER
    The Containerfile at the repository's root builds an image of the
    binary alone (FROM scratch) that drops in where Mailpit's goes: SMTP on
    1025 and HTTP on 8025 on every interface of the container, a user
    without privileges (65532), and a health check with no shell:

        smtptest -healthcheck http://127.0.0.1:8025/livez

    which exits 0 if the URL answers 2xx and 1 if not (alone: no other
    flag beside it). Flags after the image name are added. Mailpit's
    environment variables that mean the same are read too: MP_SMTP_AUTH
    ("name:password" words, as -user) and MP_MAX_MESSAGES (as
    -max-messages, unless that is given).

EXAMPLES
    smtptest
        listen on 127.0.0.1:2525 and print what arrives
    smtptest -addr 127.0.0.1:0 -json
        any free port (printed in the ready line), JSON events
    smtptest -dir ./mail -mbox ./mail/all.mbox
        also save each message as ./mail/<time>-<n>.eml and in an mbox
    smtptest -starttls -cert-out ca.pem -user app:s3cret -require-auth
        STARTTLS with a test certificate clients can trust from ca.pem,
        AUTH PLAIN/LOGIN required
    smtptest -http 127.0.0.1:8025
        and open http://127.0.0.1:8025/ for the web UI
    smtptest -http 127.0.0.1:8025 -quiet
        no output but the ready line; tests use the HTTP API
    smtptest -bulk-sender -dkim-key example.com:s1:s1.txt
        check newsletters against the bulk-sender rules, and verify their
        DKIM signatures with the key published in s1.txt

EXIT STATUS
    0 after SIGINT or SIGTERM, 1 if the server cannot start (say, the
    address is in use), 2 for bad options.
`

// config is what the flags say.
type config struct {
	addr, domain, banner     string
	maxSize                  int64
	maxRcpt                  int
	readTimeout              time.Duration
	writeTimeout             time.Duration
	maxMessages              int
	maxStoreBytes            int64
	maxTranscripts           int
	maxRejections            int
	userFile                 string
	startTLS, implicitTLS    bool
	certOut, tlsCert, tlsKey string
	requireTLS               bool
	users                    userFlag
	requireAuth, authTLS     bool
	faults                   stringsFlag
	seed                     uint64
	seedSet                  bool
	dir, mbox                string
	json, quiet, printData   bool
	httpAddr                 string
	shutdownTimeout          time.Duration
	rejectMalformed          bool
	bulkSender               bool
	dkimKeys                 dkimKeyFlag
	checks                   *jsonview.Checks // made from bulkSender and dkimKeys
	maxSandboxes             int
	sandboxPorts             portRange
	tags                     web.Tagging // -tags-disable, -tags-username
}

// stringsFlag collects a flag given several times.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ", ") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

// userFlag collects -user name:password.
type userFlag map[string]string

func (u userFlag) String() string { return "" }
func (u userFlag) Set(v string) error {
	name, pass, ok := strings.Cut(v, ":")
	if !ok || name == "" {
		return errors.New("want name:password")
	}
	u[name] = pass
	return nil
}

// defineFlags declares the flags on fs, to fill c.
func defineFlags(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.addr, "addr", "127.0.0.1:2525", "listen on `host:port`; port 0 picks a free port")
	fs.StringVar(&c.domain, "domain", "localhost", "the server's `name` in its greeting")
	fs.StringVar(&c.banner, "banner", "ESMTP smtptest", "the greeting's `text` after the name")
	fs.Int64Var(&c.maxSize, "max-size", smtptest.DefaultMaxMessageBytes, "refuse messages over `bytes` with 552")
	fs.IntVar(&c.maxRcpt, "max-recipients", smtptest.DefaultMaxRecipients, "refuse RCPT past `n` recipients with 452 (0: no limit)")
	fs.DurationVar(&c.readTimeout, "read-timeout", 5*time.Minute, "disconnect a client silent for `duration` (421); 0: never")
	fs.DurationVar(&c.writeTimeout, "write-timeout", time.Minute, "disconnect a client that takes no reply for `duration`; 0: never")
	fs.IntVar(&c.maxMessages, "max-messages", 1000, "keep the last `n` messages in memory, forgetting older ones (0: no limit)")
	fs.Int64Var(&c.maxStoreBytes, "max-store-bytes", 256<<20, "keep at most `bytes` of messages in memory, forgetting the oldest (0: no limit; the newest is always kept)")
	fs.IntVar(&c.maxTranscripts, "max-transcripts", 1000, "keep the transcripts of the last `n` closed connections (0: no limit)")
	fs.IntVar(&c.maxRejections, "max-rejections", 1000, "keep the last `n` refusals (0: no limit)")
	fs.BoolVar(&c.startTLS, "starttls", false, "offer STARTTLS")
	fs.BoolVar(&c.implicitTLS, "tls", false, "speak TLS from the first byte (as on port 465)")
	fs.StringVar(&c.certOut, "cert-out", "", "write the server's certificate, PEM, to `file` for clients to trust")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "use this certificate `file` (PEM) instead of the test certificate")
	fs.StringVar(&c.tlsKey, "tls-key", "", "the private key `file` (PEM) of -tls-cert")
	fs.BoolVar(&c.requireTLS, "require-tls", false, "refuse MAIL and AUTH before STARTTLS (530); implies -starttls")
	fs.Var(c.users, "user", "accept AUTH PLAIN and LOGIN for `name:password` (repeatable; visible to ps: see -user-file)")
	fs.StringVar(&c.userFile, "user-file", "", "read accounts from `file`, one name:password a line (# comments); also $SMTPTEST_USERS, name:password words")
	fs.BoolVar(&c.requireAuth, "require-auth", false, "refuse MAIL before AUTH (530)")
	fs.BoolVar(&c.authTLS, "auth-requires-tls", false, "refuse AUTH over plain text (538)")
	fs.Var(&c.faults, "fault", "misbehave: `spec` as in FAULTS below (repeatable)")
	fs.Func("seed", "seed `n` for faults with a rate (default: random, printed)", func(s string) error {
		_, err := fmt.Sscan(s, &c.seed)
		c.seedSet = err == nil
		return err
	})
	fs.StringVar(&c.dir, "dir", "", "also save each message as an .eml file in `directory`")
	fs.StringVar(&c.mbox, "mbox", "", "also append each message to the mbox `file`")
	fs.BoolVar(&c.json, "json", false, "print one JSON object per event (ready, connect, message, rejection, close, discard, warning, error, stopping, stopped)")
	fs.BoolVar(&c.quiet, "quiet", false, "print only the ready line and errors")
	fs.BoolVar(&c.printData, "print-data", false, "print each whole message after its line (JSON: a data field)")
	fs.StringVar(&c.httpAddr, "http", "", "serve the web UI and the HTTP API on `host:port` (off by default; see WEB UI)")
	fs.BoolVar(&c.rejectMalformed, "reject-malformed", false, "refuse a message that is not well formed (a lint error, see LINT) with 550 5.7.1, as Gmail does")
	fs.BoolVar(&c.bulkSender, "bulk-sender", false, "lint with the bulk-sender rules too (one-click unsubscribe, DKIM aligned with From: see LINT)")
	fs.Var(&c.dkimKeys, "dkim-key", "verify DKIM signatures by `domain:selector:file` with the key in file: its DNS TXT record text, or a PEM public or private key (repeatable; see DKIM)")
	fs.Func("tags-disable", "with -http, tag messages from neither of `list`: x-tags (the X-Tags field), plus-addresses (ann+tag@example.org), comma-separated, as Mailpit's flag", func(v string) error {
		return setTagsDisable(&c.tags, v)
	})
	fs.BoolVar(&c.tags.Username, "tags-username", false, "with -http, tag each message with its SMTP AUTH user, as Mailpit's flag")
	fs.IntVar(&c.maxSandboxes, "max-sandboxes", 100, "with -http, make at most `n` sandboxes at once (POST /api/sandboxes; 429 past it; see SANDBOXES)")
	fs.Var(&c.sandboxPorts, "sandbox-ports", "give sandboxes SMTP ports from `range` FIRST-LAST (to publish from a container; default: any free port)")
	fs.String("healthcheck", "", "check the server at `URL` (http://127.0.0.1:8025/livez) and exit 0 if it answers 2xx, 1 if not; alone, for a container's health check (no shell needed)")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 10*time.Second, "on SIGINT/SIGTERM, wait up to `duration` for messages in flight")
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{users: userFlag{}}
	fs := flag.NewFlagSet("smtptest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	defineFlags(fs, c)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := mailpitEnv(c, fs); err != nil {
		return nil, err
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return nil, errors.New("-tls-cert and -tls-key go together")
	}
	if c.maxMessages < 0 || c.maxStoreBytes < 0 || c.maxTranscripts < 0 || c.maxRejections < 0 {
		return nil, errors.New("-max-messages, -max-store-bytes, -max-transcripts and -max-rejections take 0 (no limit) or more")
	}
	if c.userFile != "" {
		b, err := os.ReadFile(c.userFile)
		if err != nil {
			return nil, fmt.Errorf("-user-file: %w", err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			line = strings.TrimRight(line, "\r")
			if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			if err := c.users.Set(line); err != nil {
				return nil, fmt.Errorf("-user-file %s:%d: %v", c.userFile, i+1, err)
			}
		}
	}
	c.checks = jsonview.NewChecks(c.bulkSender, c.dkimKeys)
	if env := os.Getenv("SMTPTEST_USERS"); env != "" {
		for _, word := range strings.Fields(env) {
			if err := c.users.Set(word); err != nil {
				return nil, fmt.Errorf("$SMTPTEST_USERS: %q: %v", strings.SplitN(word, ":", 2)[0], err)
			}
		}
	}
	return c, nil
}

// isHelp reports whether args ask for the manual.
func isHelp(args []string) bool {
	return slices.ContainsFunc(args, func(a string) bool {
		return a == "-h" || a == "-help" || a == "--help"
	})
}

// optionsText is the OPTIONS section of the manual.
func optionsText() string {
	var b strings.Builder
	fs := flag.NewFlagSet("smtptest", flag.ContinueOnError)
	fs.SetOutput(&b)
	defineFlags(fs, &config{users: userFlag{}})
	fs.PrintDefaults()
	return b.String()
}

// run is the command, with its inputs and outputs given: tests run the
// built binary; run keeps main trivial. stop, if not nil, replaces the
// signals.
func run(args []string, stdout, stderr io.Writer, stop <-chan struct{}) int {
	if isHelp(args) {
		fmt.Fprintf(stdout, manual, optionsText())
		return 0
	}
	if u, ok := healthcheckArg(args); ok {
		return healthcheck(u, stderr)
	}
	c, faults, err := parseAll(args, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "smtptest: %v\nRun 'smtptest -h' for the manual.\n", err)
		return 2
	}
	setMemoryLimit(c)
	out := newPrinter(stdout, stderr, c)
	defer out.close(2 * time.Second) // on every return (after the one below: at once)
	srv, code := startServer(c, out, stderr)
	if srv == nil {
		return code
	}
	defer srv.Close()
	api, apiAddr, err := startAPI(c, srv, faults, out)
	if err != nil {
		fmt.Fprintf(stderr, "smtptest: HTTP API: %v\n", err)
		return 1
	}

	// Signals are caught before the ready line goes out: a harness may
	// send SIGINT as soon as it has read it.
	if stop == nil {
		ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer cancel()
		stop = ctx.Done()
	}
	out.ready(srv, apiAddr)
	<-stop
	out.stopping(c.shutdownTimeout)

	ctx, cancel := context.WithTimeout(context.Background(), c.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		out.errorf("shutdown: messages still in flight after %v were cut off", c.shutdownTimeout)
	}
	if api != nil {
		api.Shutdown(ctx) // waits for requests until ctx ends
		api.Close()
	}
	// Whoever reads the output (or not), the exit waits at most this long,
	// for the messages still being judged and for the output together.
	exit, cancelExit := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancelExit()
	out.analysis.close(exit) // the last messages' lines come before the summary
	out.stopped(srv)
	out.closeWithin(exit)
	return 0
}

// setMemoryLimit gives the Go runtime a soft memory limit of about what
// -max-store-bytes lets the server keep, plus room for the messages in
// flight and the rest: the collector then works harder near it instead of
// letting the heap grow to twice what is kept (a 256 MiB store took 650
// MB of RSS). GOMEMLIMIT, if set, wins; without a store limit there is
// none.
func setMemoryLimit(c *config) {
	if os.Getenv("GOMEMLIMIT") != "" || c.maxStoreBytes <= 0 {
		return
	}
	debug.SetMemoryLimit(c.maxStoreBytes + c.maxStoreBytes/2 + 2*max(c.maxSize, 0) + 64<<20)
}

// parseAll reads the flags and the faults they give.
func parseAll(args []string, stderr io.Writer) (*config, []smtptest.Fault, error) {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return nil, nil, err
	}
	if len(c.faults) > maxFaults {
		return nil, nil, fmt.Errorf("%d -fault options; at most %d faults may be in force", len(c.faults), maxFaults)
	}
	var faults []smtptest.Fault
	for _, spec := range c.faults {
		f, err := smtptest.ParseFault(spec)
		if err != nil {
			return nil, nil, err
		}
		faults = append(faults, f)
	}
	return c, faults, nil
}

// startServer starts the SMTP server with its store, faults and
// certificate file. On failure it reports to stderr and returns a nil
// server and the exit status.
func startServer(c *config, out *printer, stderr io.Writer) (*smtptest.Server, int) {
	store, err := newStore(c.dir, c.mbox)
	if err != nil {
		fmt.Fprintf(stderr, "smtptest: %v\n", err)
		return nil, 1
	}
	opts, err := serverOptions(c)
	if err != nil {
		fmt.Fprintf(stderr, "smtptest: %v\nRun 'smtptest -h' for the manual.\n", err)
		return nil, 2
	}
	onEvent := func(ev smtptest.Event) {
		out.submit(ev) // judged and printed off this goroutine, in order
	}
	opts = append(opts, smtptest.OnEvent(onEvent), smtptest.Hooks{Deliver: store.save(out)})
	srv, err := smtptest.Start(opts...)
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) { // the address: in use, not ours, ...
			fmt.Fprintf(stderr, "%v\n", err)
			return nil, 1
		}
		fmt.Fprintf(stderr, "%v\nRun 'smtptest -h' for the manual.\n", err)
		return nil, 2
	}
	out.files = store
	if c.certOut != "" {
		pem := srv.CertificatePEM()
		if pem == nil {
			srv.Close()
			fmt.Fprintf(stderr, "smtptest: -cert-out needs -starttls or -tls\nRun 'smtptest -h' for the manual.\n")
			return nil, 2
		}
		if err := os.WriteFile(c.certOut, pem, 0o644); err != nil {
			srv.Close()
			fmt.Fprintf(stderr, "smtptest: %v\n", err)
			return nil, 1
		}
	}
	warnIfReachable(out, "-addr", srv.Addr())
	return srv, 0
}

// startAPI puts the -fault faults in force and serves the web side if
// -http asks for it (then the API lists the faults); it returns nil and
// "" if not.
func startAPI(c *config, srv *smtptest.Server, faults []smtptest.Fault, out *printer) (*http.Server, string, error) {
	if c.httpAddr == "" {
		for _, f := range faults {
			srv.Inject(f)
		}
		return nil, "", nil
	}
	ln, err := net.Listen("tcp", c.httpAddr)
	if err != nil {
		return nil, "", err
	}
	addr := ln.Addr().String()
	warnIfReachable(out, "-http", addr)
	site := web.Handler(srv, &web.Options{Addr: addr, BulkSender: c.bulkSender, DKIMKeys: c.dkimKeys, Tags: c.tags})
	for _, spec := range c.faults {
		if err := site.AddFault(spec); err != nil { // parseAll read them, and allowed no more than fit
			ln.Close()
			return nil, "", err
		}
	}
	sb := newSandboxes(c, out, addr)
	mux := http.NewServeMux()
	mux.Handle("/", site)
	sb.routes(mux)
	api := newHTTPServer(mux)
	api.RegisterOnShutdown(site.Close) // the UI's streams would hold Shutdown up
	api.RegisterOnShutdown(sb.close)   // their servers and their streams
	go api.Serve(ln)
	return api, addr, nil
}

// newHTTPServer serves the API. A client that sends its request slowly,
// or never reads the answer, is cut off; a wait may take up to maxWait.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      web.MaxWait + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
	}
}

// warnIfReachable warns when addr is not a loopback address: other
// machines can then reach the server, which has no access control.
func warnIfReachable(out *printer, flag, addr string) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsLoopback() {
		return
	}
	out.warnf("%s %s is not a loopback address: other machines may reach it, and it has no access control", flag, addr)
}

// serverOptions turns the flags into the server's options.
func serverOptions(c *config) ([]smtptest.Option, error) {
	opts := []smtptest.Option{
		smtptest.ListenAddr(c.addr),
		smtptest.WriteTimeout(c.writeTimeout),
		smtptest.RetainMessages(c.maxMessages, c.maxStoreBytes),
		smtptest.RetainTranscripts(c.maxTranscripts),
		smtptest.RetainRejections(c.maxRejections),
		smtptest.Domain(c.domain),
		smtptest.Banner(c.banner),
		smtptest.MaxMessageBytes(c.maxSize),
		smtptest.MaxRecipients(c.maxRcpt),
		smtptest.ReadTimeout(c.readTimeout),
	}
	if c.startTLS {
		opts = append(opts, smtptest.StartTLS())
	}
	if c.implicitTLS {
		opts = append(opts, smtptest.ImplicitTLS())
	}
	if c.requireTLS {
		opts = append(opts, smtptest.RequireTLS())
	}
	if c.tlsCert != "" {
		cfg, err := loadCertificate(c.tlsCert, c.tlsKey)
		if err != nil {
			return nil, err
		}
		opts = append(opts, smtptest.TLSConfig(cfg))
	}
	if len(c.users) > 0 {
		opts = append(opts, smtptest.Users(c.users))
	}
	if c.requireAuth {
		if len(c.users) == 0 {
			return nil, errors.New("-require-auth needs at least one -user")
		}
		opts = append(opts, smtptest.RequireAuth())
	}
	if c.authTLS {
		opts = append(opts, smtptest.AuthRequiresTLS())
	}
	if c.seedSet {
		opts = append(opts, smtptest.Seed(c.seed))
	}
	if c.rejectMalformed {
		opts = append(opts, smtptest.RejectMalformed(c.checks.LintOptions()...,
		))
	}
	return opts, nil
}

// maxFaults is how many -fault options there may be: as many faults as
// the web side keeps in force at once.
const maxFaults = 256

// loadCertificate reads -tls-cert and -tls-key.
func loadCertificate(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("-tls-cert/-tls-key: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}}, nil
}

// setTagsDisable reads -tags-disable: what not to tag messages from.
func setTagsDisable(t *web.Tagging, v string) error {
	for _, w := range strings.Split(strings.ToLower(v), ",") {
		switch strings.TrimSpace(w) {
		case "x-tags", "xtags":
			t.NoXTags = true
		case "plus-addresses", "plus-addressing":
			t.NoPlusAddresses = true
		case "":
		default:
			return fmt.Errorf("%q: want x-tags or plus-addresses", strings.TrimSpace(w))
		}
	}
	return nil
}

// mailpitEnv reads the environment variables of Mailpit's that mean the
// same here, as a container of Mailpit's image is configured (and
// testcontainers-go's Mailpit module does it): MP_SMTP_AUTH, accounts
// "name:password" separated by spaces (as -user; Mailpit's
// MP_SMTP_AUTH_ALLOW_INSECURE needs no counterpart: AUTH is allowed
// without TLS unless -auth-requires-tls), and MP_MAX_MESSAGES (as
// -max-messages, unless the flag is given).
func mailpitEnv(c *config, fs *flag.FlagSet) error {
	if env := os.Getenv("MP_SMTP_AUTH"); env != "" {
		for _, word := range strings.Fields(env) {
			if err := c.users.Set(word); err != nil {
				return fmt.Errorf("$MP_SMTP_AUTH: %q: %v", strings.SplitN(word, ":", 2)[0], err)
			}
		}
	}
	if env := os.Getenv("MP_MAX_MESSAGES"); env != "" {
		given := false
		fs.Visit(func(f *flag.Flag) { given = given || f.Name == "max-messages" })
		n, err := strconv.Atoi(strings.TrimSpace(env))
		if err != nil || n < 0 {
			return fmt.Errorf("$MP_MAX_MESSAGES %q: want a number of messages (0: no limit)", env)
		}
		if !given {
			c.maxMessages = n
		}
	}
	return nil
}
