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
	"crypto/x509"
	_ "embed"
	"encoding/pem"
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
	"github.com/smtptest/smtptest/lint"
	"github.com/smtptest/smtptest/web"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, nil))
}

// manual is "smtptest -h", with the OPTIONS section (%[1]s, made from
// the flags) and the fault syntax (%[2]s, smtptest.FaultSyntax) filled in.
//
//go:embed manual.txt
var manual string

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
	clientCertOut            stringsFlag // -client-cert-out NAME:CERT:KEY
	requireTLS               bool
	users                    userFlag
	tokens                   userFlag // -token name:token
	authMechs                string   // -auth-mechanisms
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
	allowHosts               stringsFlag // -allow-hosts
	greylist                 time.Duration
	rateLimit                rateFlag
	strictSync               bool
	greetPause               time.Duration
	like                     string      // -like: postfix, gmail
	bounce                   stringsFlag // -bounce: recipient patterns
	bounceReply              string
	bounceDelay              time.Duration
	bounceTo                 string
	bounceLMTP               bool
	given                    map[string]bool // the flags given, by name
}

// lintOptions are the lint options of the flags beyond -bulk-sender and
// -dkim-key: -allow-hosts.
func (c *config) lintOptions() []lint.Option {
	var hosts []string
	for _, list := range c.allowHosts {
		for _, h := range strings.Split(list, ",") {
			if h = strings.TrimSpace(h); h != "" {
				hosts = append(hosts, h)
			}
		}
	}
	if len(hosts) == 0 {
		return nil
	}
	return []lint.Option{lint.AllowHosts(hosts...)}
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
	fs.Var(&c.clientCertOut, "client-cert-out", "ask TLS clients for a certificate and offer AUTH EXTERNAL to those with one; write one for `name:certfile:keyfile` (PEM; the identity is name), signed by the test client CA the server trusts (repeatable; implies -starttls unless -tls)")
	fs.StringVar(&c.certOut, "cert-out", "", "write the server's certificate, PEM, to `file` for clients to trust")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "use this certificate `file` (PEM) instead of the test certificate")
	fs.StringVar(&c.tlsKey, "tls-key", "", "the private key `file` (PEM) of -tls-cert")
	fs.BoolVar(&c.requireTLS, "require-tls", false, "refuse MAIL and AUTH before STARTTLS (530); implies -starttls")
	fs.Var(c.tokens, "token", "accept AUTH XOAUTH2 and OAUTHBEARER (OAuth 2.0 bearer tokens, as Gmail and Microsoft 365 require) for `name:token` (repeatable)")
	fs.StringVar(&c.authMechs, "auth-mechanisms", "", "offer exactly these SASL `mechanisms`, comma-separated, in order: PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256 (over -user's passwords), XOAUTH2, OAUTHBEARER (over -token's tokens); default: PLAIN,LOGIN with -user, XOAUTH2,OAUTHBEARER with -token")
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
	fs.DurationVar(&c.greylist, "greylist", 0, "greylist as Postgrey does: refuse a (client, sender, recipient) triplet's first attempt with 451 4.7.1 and accept it retried after `delay` (0: off)")
	fs.StringVar(&c.like, "like", "", "receive as `server` does: postfix (3.9's defaults: 10,240,000 bytes, 1,000 recipients, 50 connections a client, strict pipelining) or gmail (25 MB, 100 recipients, bulk-sender lint refusals, throttling); flags given beside it change it")
	fs.BoolVar(&c.strictSync, "strict-sync", false, "refuse a client that pipelines where RFC 2920 forbids it (554 5.5.0 and a hang-up), as Postfix's smtpd_forbid_unauth_pipelining")
	fs.DurationVar(&c.greetPause, "greet-pause", 0, "with -strict-sync, wait `duration` before the greeting and refuse a client that talks first (postscreen's pregreet test)")
	fs.Var(&c.bounce, "bounce", "accept mail for recipients matching `pattern` (an address or a glob, *@gone.example) and then bounce it: an RFC 3464 DSN to its return path, sent to -bounce-to (repeatable; see BOUNCES)")
	fs.StringVar(&c.bounceReply, "bounce-reply", "550 5.1.1 User unknown", "with -bounce, what the DSN says the recipient's server replied: `reply` CODE [X.Y.Z] TEXT, 5xx (failed) or 4xx (delayed)")
	fs.DurationVar(&c.bounceDelay, "bounce-delay", 0, "with -bounce, send the DSN `delay` after accepting the message (a delayed DSN goes at once to recipients with NOTIFY=DELAY)")
	fs.StringVar(&c.bounceTo, "bounce-to", "", "with -bounce, deliver the DSNs to the SMTP server at `host:port` (the app's inbound server; default: this server, where they join the mail it caught)")
	fs.BoolVar(&c.bounceLMTP, "bounce-lmtp", false, "with -bounce, deliver the DSNs with LMTP (-bounce-to may then be a Unix socket path)")
	fs.Var(&c.rateLimit, "rate-limit", "throttle each client as big receivers do (421 4.7.0 and a hang-up past it): `limits` messages=N,recipients=N,connections=N (a period each, period=1m by default),concurrent=N (open at once)")
	fs.Var(&c.allowHosts, "allow-hosts", "let messages link to these `hosts` (comma-separated; *.test for every name under test), which lint reports otherwise: localhost, private addresses, .test, .local ... (rule content/link-local)")
	fs.BoolVar(&c.tags.Username, "tags-username", false, "with -http, tag each message with its SMTP AUTH user, as Mailpit's flag")
	fs.IntVar(&c.maxSandboxes, "max-sandboxes", 100, "with -http, make at most `n` sandboxes at once (POST /api/sandboxes; 429 past it; see SANDBOXES)")
	fs.Var(&c.sandboxPorts, "sandbox-ports", "give sandboxes SMTP ports from `range` FIRST-LAST (to publish from a container; default: any free port)")
	fs.String("healthcheck", "", "check the server at `URL` (http://127.0.0.1:8025/livez) and exit 0 if it answers 2xx, 1 if not; alone, for a container's health check (no shell needed)")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 10*time.Second, "on SIGINT/SIGTERM, wait up to `duration` for messages in flight")
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{users: userFlag{}, tokens: userFlag{}}
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
	c.given = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { c.given[f.Name] = true })
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
	c.checks = jsonview.NewChecks(c.bulkSender, c.dkimKeys, c.lintOptions()...)
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
	defineFlags(fs, &config{users: userFlag{}, tokens: userFlag{}})
	fs.PrintDefaults()
	return b.String()
}

// run is the command, with its inputs and outputs given: tests run the
// built binary; run keeps main trivial. stop, if not nil, replaces the
// signals.
func run(args []string, stdout, stderr io.Writer, stop <-chan struct{}) int {
	if isHelp(args) {
		fmt.Fprintf(stdout, manual, optionsText(), smtptest.FaultSyntax)
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
	for _, spec := range c.clientCertOut {
		if err := writeClientCert(srv, spec); err != nil {
			srv.Close()
			fmt.Fprintf(stderr, "smtptest: -client-cert-out: %v\n", err)
			return nil, 1
		}
	}
	warnIfReachable(out, "-addr", srv.Addr())
	return srv, 0
}

// writeClientCert writes the client certificate and key of
// -client-cert-out name:certfile:keyfile, PEM; the key only its owner
// may read.
func writeClientCert(srv *smtptest.Server, spec string) error {
	parts := strings.Split(spec, ":")
	cert, err := srv.ClientCertificate(parts[0])
	if err != nil {
		return err
	}
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return err
	}
	if err := os.WriteFile(parts[1], pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o644); err != nil {
		return err
	}
	return os.WriteFile(parts[2], pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600)
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
	site := web.Handler(srv, &web.Options{Addr: addr, BulkSender: c.bulkSender, DKIMKeys: c.dkimKeys, Lint: c.lintOptions(), Tags: c.tags})
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
	var opts []smtptest.Option
	switch c.like {
	case "":
	case "postfix":
		opts = append(opts, smtptest.LikePostfix())
	case "gmail":
		opts = append(opts, smtptest.LikeGmail())
	default:
		return nil, fmt.Errorf("-like %q: want postfix or gmail", c.like)
	}
	opts = append(opts,
		smtptest.ListenAddr(c.addr),
		smtptest.WriteTimeout(c.writeTimeout),
		smtptest.RetainMessages(c.maxMessages, c.maxStoreBytes),
		smtptest.RetainTranscripts(c.maxTranscripts),
		smtptest.RetainRejections(c.maxRejections),
		smtptest.Domain(c.domain),
		smtptest.Banner(c.banner),
		smtptest.ReadTimeout(c.readTimeout),
	)
	// A profile's limits stand unless the flags are given.
	if c.like == "" || c.given["max-size"] {
		opts = append(opts, smtptest.MaxMessageBytes(c.maxSize))
	}
	if c.like == "" || c.given["max-recipients"] {
		opts = append(opts, smtptest.MaxRecipients(c.maxRcpt))
	}
	if c.startTLS {
		opts = append(opts, smtptest.StartTLS())
	}
	if c.implicitTLS {
		opts = append(opts, smtptest.ImplicitTLS())
	}
	if len(c.clientCertOut) > 0 {
		for _, spec := range c.clientCertOut {
			if parts := strings.Split(spec, ":"); len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
				return nil, fmt.Errorf("-client-cert-out %q: want name:certfile:keyfile", spec)
			}
		}
		opts = append(opts, smtptest.ClientCertAuth())
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
	if len(c.tokens) > 0 {
		opts = append(opts, smtptest.Tokens(c.tokens))
	}
	if c.authMechs != "" {
		var mechs []string
		for _, m := range strings.Split(c.authMechs, ",") {
			if m = strings.TrimSpace(m); m != "" {
				mechs = append(mechs, m)
			}
		}
		opts = append(opts, smtptest.AuthMechanisms(mechs...))
	}
	if c.requireAuth {
		if len(c.users) == 0 && len(c.tokens) == 0 && len(c.clientCertOut) == 0 {
			return nil, errors.New("-require-auth needs at least one -user, -token or -client-cert-out")
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
		opts = append(opts, smtptest.RejectMalformed(c.checks.LintOptions()...))
	}
	if c.greylist < 0 {
		return nil, errors.New("-greylist: a negative delay")
	}
	if c.greylist > 0 {
		opts = append(opts, smtptest.Greylist{Delay: c.greylist})
	}
	if c.rateLimit.set {
		opts = append(opts, c.rateLimit.RateLimit)
	}
	if c.greetPause < 0 || (c.greetPause > 0 && !c.strictSync) {
		return nil, errors.New("-greet-pause: a duration, with -strict-sync")
	}
	if c.strictSync {
		opts = append(opts, smtptest.StrictSync{GreetPause: c.greetPause})
	}
	bounces, err := bounceOptions(c)
	if err != nil {
		return nil, err
	}
	return append(opts, bounces...), nil
}

// bounceOptions are the Bounces of -bounce and the flags beside it.
func bounceOptions(c *config) ([]smtptest.Option, error) {
	if len(c.bounce) == 0 {
		for _, f := range []string{"bounce-reply", "bounce-delay", "bounce-to", "bounce-lmtp"} {
			if c.given[f] {
				return nil, fmt.Errorf("-%s: only with -bounce", f)
			}
		}
		return nil, nil
	}
	code, text, _ := strings.Cut(strings.TrimSpace(c.bounceReply), " ")
	n, err := strconv.Atoi(code)
	if err != nil || len(code) != 3 || (code[0] != '4' && code[0] != '5') {
		return nil, fmt.Errorf("-bounce-reply %q: want CODE [X.Y.Z] TEXT with a 4xx or 5xx code, like \"550 5.1.1 User unknown\"", c.bounceReply)
	}
	st := smtptest.DeliveryStatus{Reply: smtptest.Reply(n, text)}
	if code[0] == '4' {
		st.Action = smtptest.ActionDelayed
	}
	if c.bounceDelay < 0 {
		return nil, errors.New("-bounce-delay: a negative delay")
	}
	to := c.bounceTo
	if to == "" {
		if c.bounceLMTP {
			return nil, errors.New("-bounce-lmtp: with -bounce-to, the LMTP server's address")
		}
		to = smtptest.SendToSelf
	}
	var opts []smtptest.Option
	for _, p := range c.bounce {
		opts = append(opts, smtptest.Bounces{Match: p, Status: st, Delay: c.bounceDelay, SendTo: to, LMTP: c.bounceLMTP})
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
