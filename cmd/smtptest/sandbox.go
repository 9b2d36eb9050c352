package main

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/dkimtest"
	"github.com/smtptest/smtptest/internal/jsonview"
	"github.com/smtptest/smtptest/web"
)

// sandboxes are servers made on demand through the HTTP API (POST
// /api/sandboxes), one per test of a suite in another language: each
// has its own SMTP port, record, faults, transcripts and web side,
// served under /sandboxes/{id}/ with the same paths as the top level, so
// that a Mailpit client pointed at that base URL sees that sandbox alone.
// A sandbox goes when it is deleted, when it has been idle for its TTL
// (no HTTP request under its path, no SMTP connection), or when the
// command stops. Its messages are not printed nor saved (-dir, -mbox):
// the output says when a sandbox is made and when it goes.
type sandboxes struct {
	base  *config  // the command's: what sandboxes inherit (see sandboxConfig)
	out   *printer // says what is made and what goes
	top   string   // the top-level HTTP address: the sandboxes' Sites answer for it
	ports portRange

	mu       sync.Mutex // guards the fields below
	byID     map[string]*sandbox
	starting int // sandboxes being made, not in byID yet: they count against the cap
	next     int // the port of ports to try first
	closed   bool
}

// sandbox is one of them.
type sandbox struct {
	id      string
	srv     *smtptest.Server
	site    *web.Site
	handler http.Handler // site under /sandboxes/{id}
	ttl     time.Duration
	created time.Time
	tls     string // "", "starttls" or "implicit"

	lastUsed atomic.Int64 // unix nanoseconds of the last request or SMTP event
	timer    *time.Timer  // checks for idleness; guarded by sandboxes.mu
}

const (
	defaultSandboxTTL = 15 * time.Minute
	maxSandboxTTL     = 24 * time.Hour
	maxSandboxBody    = 1 << 20 // a request's JSON (DKIM keys are the big part)
)

func newSandboxes(c *config, out *printer, top string) *sandboxes {
	return &sandboxes{base: c, out: out, top: top, ports: c.sandboxPorts, byID: map[string]*sandbox{}}
}

// sandboxRequest is the JSON body of POST /api/sandboxes. Every field is
// optional; a sandbox starts with no faults, users or keys of the
// command's, and with its retention limits unless given.
type sandboxRequest struct {
	TTL             string            `json:"ttl"`    // idle time before it goes: "10m"; default 15m, at most 24h
	Faults          []string          `json:"faults"` // as -fault
	Seed            *uint64           `json:"seed"`
	Users           map[string]string `json:"users"`           // name: password, as -user
	Tokens          map[string]string `json:"tokens"`          // name: token, as -token
	AuthMechanisms  []string          `json:"auth_mechanisms"` // as -auth-mechanisms
	StartTLS        bool              `json:"starttls"`
	TLS             bool              `json:"tls"` // implicit TLS
	RequireTLS      bool              `json:"require_tls"`
	RequireAuth     bool              `json:"require_auth"`
	AuthRequiresTLS bool              `json:"auth_requires_tls"`
	RejectMalformed bool              `json:"reject_malformed"`
	BulkSender      bool              `json:"bulk_sender"`
	DKIMKeys        []struct {
		Domain   string `json:"domain"`
		Selector string `json:"selector"`
		Key      string `json:"key"` // the DNS TXT record's text, or a PEM public or private key
	} `json:"dkim_keys"`
	AllowHosts     []string `json:"allow_hosts"`  // as -allow-hosts
	Greylist       string   `json:"greylist"`     // as -greylist: "5s"
	RateLimit      string   `json:"rate_limit"`   // as -rate-limit: "messages=10,period=1m"
	StrictSync     bool     `json:"strict_sync"`  // as -strict-sync
	Like           string   `json:"like"`         // as -like: "postfix", "gmail"
	GreetPause     string   `json:"greet_pause"`  // as -greet-pause: "1s"
	Bounce         []string `json:"bounce"`       // as -bounce; the DSNs come back to the sandbox
	BounceReply    string   `json:"bounce_reply"` // as -bounce-reply
	BounceDelay    string   `json:"bounce_delay"` // as -bounce-delay
	TagsDisable    []string `json:"tags_disable"` // "x-tags", "plus-addresses", as -tags-disable
	TagsUsername   bool     `json:"tags_username"`
	MaxMessages    *int     `json:"max_messages"`
	MaxStoreBytes  *int64   `json:"max_store_bytes"`
	MaxTranscripts *int     `json:"max_transcripts"`
	MaxRejections  *int     `json:"max_rejections"`
}

// sandboxJSON is what the API says of a sandbox.
type sandboxJSON struct {
	ID          string    `json:"id"`
	SMTP        string    `json:"smtp"` // host:port
	SMTPHost    string    `json:"smtp_host"`
	SMTPPort    int       `json:"smtp_port"`
	BaseURL     string    `json:"base_url"` // where its API is: a Mailpit client's base URL
	UI          string    `json:"ui"`
	TLS         string    `json:"tls,omitempty"`         // starttls or implicit
	Certificate string    `json:"certificate,omitempty"` // PEM, for clients to trust, with TLS
	Seed        string    `json:"seed"`
	TTL         string    `json:"ttl"`
	Created     time.Time `json:"created"`
	Expires     time.Time `json:"expires"` // if nothing uses it before
	Messages    int       `json:"messages"`
}

// routes adds the sandbox API and the sandboxes' paths to mux.
func (sb *sandboxes) routes(mux *http.ServeMux) {
	mux.Handle("POST /api/sandboxes", web.Guard(sb.top, http.HandlerFunc(sb.create)))
	mux.Handle("GET /api/sandboxes", web.Guard(sb.top, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out := []sandboxJSON{}
		for _, s := range sb.list() {
			out = append(out, s.json(r))
		}
		writeJSON(w, http.StatusOK, out)
	})))
	mux.Handle("GET /api/sandboxes/{id}", web.Guard(sb.top, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s, ok := sb.get(w, r.PathValue("id")); ok {
			writeJSON(w, http.StatusOK, s.json(r))
		}
	})))
	mux.Handle("DELETE /api/sandboxes/{id}", web.Guard(sb.top, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !sb.remove(r.PathValue("id"), "deleted") {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no sandbox " + r.PathValue("id")})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})))
	mux.HandleFunc("/sandboxes/{id}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/sandboxes/"+r.PathValue("id")+"/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/sandboxes/{id}/", func(w http.ResponseWriter, r *http.Request) {
		if s, ok := sb.get(w, r.PathValue("id")); ok {
			s.handler.ServeHTTP(w, r) // its Site guards it
		}
	})
}

// get finds a sandbox and counts the request as a use; else 404.
func (sb *sandboxes) get(w http.ResponseWriter, id string) (*sandbox, bool) {
	sb.mu.Lock()
	s, ok := sb.byID[id]
	sb.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no sandbox %s (deleted, expired, or never made)", id)})
		return nil, false
	}
	s.touch()
	return s, true
}

func (sb *sandboxes) list() []*sandbox {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	out := make([]*sandbox, 0, len(sb.byID))
	for _, s := range sb.byID {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *sandbox) int { return a.created.Compare(b.created) })
	return out
}

// create answers POST /api/sandboxes.
func (sb *sandboxes) create(w http.ResponseWriter, r *http.Request) {
	var req sandboxRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxSandboxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) { // no body: every default
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "the sandbox's options: " + err.Error()})
		return
	}
	sc, ttl, err := sandboxConfig(sb.base, req)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	s, err := sb.start(sc, req, ttl)
	var netErr *net.OpError
	switch {
	case err != nil && !errors.As(err, &netErr) && strings.HasPrefix(err.Error(), "smtptest: "):
		// The library refused the options together (AuthMechanisms
		// without what checks a mechanism, ...): the request's fault.
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	case errors.Is(err, errTooManySandboxes):
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": err.Error()})
		return
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	j := s.json(r)
	sb.out.sandbox("created", s.id, j.SMTP, j.BaseURL)
	writeJSON(w, http.StatusCreated, j)
}

var errTooManySandboxes = errors.New("too many sandboxes (-max-sandboxes): delete one first")

// start makes a sandbox of sc, with the faults of req.
func (sb *sandboxes) start(sc *config, req sandboxRequest, ttl time.Duration) (*sandbox, error) {
	id, err := newSandboxID()
	if err != nil {
		return nil, err
	}
	s := &sandbox{id: id, ttl: ttl, created: time.Now()}
	s.touch()
	opts, err := serverOptions(sc)
	if err != nil {
		return nil, err
	}
	opts = append(opts, smtptest.OnEvent(func(smtptest.Event) { s.touch() }))

	sb.mu.Lock()
	if sb.closed || len(sb.byID)+sb.starting >= sb.base.maxSandboxes {
		sb.mu.Unlock()
		return nil, errTooManySandboxes
	}
	sb.starting++ // holds its place under the cap while it starts
	first := sb.next
	sb.next++
	sb.mu.Unlock()

	srv, err := sb.listen(opts, first)
	if err != nil {
		sb.mu.Lock()
		sb.starting--
		sb.mu.Unlock()
		return nil, err
	}
	s.srv = srv
	s.site = web.Handler(srv, &web.Options{Addr: sb.top, BulkSender: sc.bulkSender, DKIMKeys: sc.dkimKeys, Lint: sc.lintOptions(), Tags: sc.tags})
	for _, spec := range req.Faults {
		s.site.AddFault(spec) // sandboxConfig parsed them, and allowed no more than fit
	}
	if sc.startTLS {
		s.tls = "starttls"
	} else if sc.implicitTLS {
		s.tls = "implicit"
	}
	s.handler = http.StripPrefix("/sandboxes/"+id, s.site)

	sb.mu.Lock()
	defer sb.mu.Unlock()
	sb.starting--
	if _, taken := sb.byID[id]; sb.closed || taken { // stopping; or 32 random bits drawn twice
		go s.close()
		return nil, errors.New("the command is stopping, or the sandbox's id was taken: try again")
	}
	sb.byID[id] = s
	s.timer = time.AfterFunc(ttl, func() { sb.expire(s) })
	return s, nil
}

// listen starts the sandbox's server on the -sandbox-ports range (from
// the first-th port on) or on a port the system picks.
func (sb *sandboxes) listen(opts []smtptest.Option, first int) (*smtptest.Server, error) {
	host := sandboxHost(sb.base.addr)
	if sb.ports.size() == 0 {
		return smtptest.Start(append(opts, smtptest.ListenAddr(net.JoinHostPort(host, "0")))...)
	}
	var last error
	for i := range sb.ports.size() {
		port := sb.ports.first + (first+i)%sb.ports.size()
		srv, err := smtptest.Start(append(opts, smtptest.ListenAddr(net.JoinHostPort(host, strconv.Itoa(port))))...)
		if err == nil {
			return srv, nil
		}
		last = err
	}
	return nil, fmt.Errorf("no free port in -sandbox-ports %s: %w", &sb.ports, last)
}

// expire removes s if it has been idle for its TTL, or looks again when
// it will have been.
func (sb *sandboxes) expire(s *sandbox) {
	idle := time.Since(time.Unix(0, s.lastUsed.Load()))
	if idle < s.ttl {
		sb.mu.Lock()
		if sb.byID[s.id] == s {
			s.timer.Reset(s.ttl - idle)
		}
		sb.mu.Unlock()
		return
	}
	sb.remove(s.id, "expired")
}

// remove closes the sandbox id and says why; false if there is none.
func (sb *sandboxes) remove(id, why string) bool {
	sb.mu.Lock()
	s, ok := sb.byID[id]
	if ok {
		delete(sb.byID, id)
		s.timer.Stop()
	}
	sb.mu.Unlock()
	if !ok {
		return false
	}
	s.close()
	sb.out.sandbox(why, id, s.srv.Addr(), "")
	return true
}

// close removes every sandbox, and makes no more (the command stops).
func (sb *sandboxes) close() {
	sb.mu.Lock()
	sb.closed = true
	var all []*sandbox
	for id, s := range sb.byID {
		all = append(all, s)
		delete(sb.byID, id)
		s.timer.Stop()
	}
	sb.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range all {
		wg.Go(s.close)
	}
	wg.Wait()
}

func (s *sandbox) close() {
	s.site.Close()
	s.srv.Close()
}

func (s *sandbox) touch() { s.lastUsed.Store(time.Now().UnixNano()) }

// json describes s to the client of r: the base URL and, for a sandbox
// listening on all interfaces, the SMTP host are the ones r reached.
func (s *sandbox) json(r *http.Request) sandboxJSON {
	host := s.srv.Host()
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsUnspecified() {
		if h, _, err := net.SplitHostPort(r.Host); err == nil {
			host = strings.Trim(h, "[]")
		}
	}
	base := "http://" + r.Host + "/sandboxes/" + s.id
	j := sandboxJSON{
		ID: s.id, SMTP: net.JoinHostPort(host, strconv.Itoa(s.srv.Port())), SMTPHost: host, SMTPPort: s.srv.Port(),
		BaseURL: base, UI: base + "/", TLS: s.tls, Seed: strconv.FormatUint(s.srv.Config().Seed, 10),
		TTL: s.ttl.String(), Created: s.created, Expires: time.Unix(0, s.lastUsed.Load()).Add(s.ttl),
		Messages: s.srv.Stats().KeptMessages,
	}
	if s.tls != "" {
		j.Certificate = string(s.srv.CertificatePEM())
	}
	return j
}

// sandboxConfig is the configuration of a sandbox asked for with req:
// the command's -domain, -banner, -max-size, -max-recipients, timeouts,
// -tls-cert and retention limits, and what req gives; nothing else of
// the command's (its faults, users, keys).
func sandboxConfig(c *config, req sandboxRequest) (*config, time.Duration, error) {
	ttl := defaultSandboxTTL
	if req.TTL != "" {
		d, err := time.ParseDuration(req.TTL)
		if err != nil || d < time.Second || d > maxSandboxTTL {
			return nil, 0, fmt.Errorf("ttl %q: want a duration from 1s to %v, like \"10m\"", req.TTL, maxSandboxTTL)
		}
		ttl = d
	}
	sc := &config{
		addr: c.addr, domain: c.domain, banner: c.banner, maxSize: c.maxSize, maxRcpt: c.maxRcpt,
		readTimeout: c.readTimeout, writeTimeout: c.writeTimeout, tlsCert: c.tlsCert, tlsKey: c.tlsKey,
		maxMessages: c.maxMessages, maxStoreBytes: c.maxStoreBytes, maxTranscripts: c.maxTranscripts, maxRejections: c.maxRejections,
		users: userFlag{}, tokens: userFlag{}, authMechs: strings.Join(req.AuthMechanisms, ","), startTLS: req.StartTLS, implicitTLS: req.TLS, requireTLS: req.RequireTLS, requireAuth: req.RequireAuth,
		authTLS: req.AuthRequiresTLS, rejectMalformed: req.RejectMalformed, bulkSender: req.BulkSender,
	}
	if req.Greylist != "" {
		d, err := time.ParseDuration(req.Greylist)
		if err != nil || d < 0 {
			return nil, 0, fmt.Errorf("greylist %q: want a duration, like \"5s\"", req.Greylist)
		}
		sc.greylist = d
	}
	sc.strictSync = req.StrictSync
	sc.like = req.Like
	// A sandbox's DSNs go to the sandbox itself: a request does not
	// choose where this process connects to.
	sc.bounce, sc.bounceReply, sc.given = req.Bounce, cmp.Or(req.BounceReply, c.bounceReply), map[string]bool{}
	if req.BounceDelay != "" {
		d, err := time.ParseDuration(req.BounceDelay)
		if err != nil || d < 0 {
			return nil, 0, fmt.Errorf("bounce_delay %q: want a duration, like \"1m\"", req.BounceDelay)
		}
		sc.bounceDelay, sc.given["bounce-delay"] = d, true
	}
	if req.BounceReply != "" {
		sc.given["bounce-reply"] = true
	}
	if req.GreetPause != "" {
		d, err := time.ParseDuration(req.GreetPause)
		if err != nil || d < 0 {
			return nil, 0, fmt.Errorf("greet_pause %q: want a duration, like \"1s\"", req.GreetPause)
		}
		sc.greetPause = d
	}
	if req.RateLimit != "" {
		if err := sc.rateLimit.Set(req.RateLimit); err != nil {
			return nil, 0, fmt.Errorf("rate_limit: %v", err)
		}
	}
	if req.StartTLS && req.TLS {
		return nil, 0, errors.New("starttls and tls: one or the other")
	}
	if sc.requireTLS {
		sc.startTLS = true // as -require-tls implies -starttls
	}
	sc.tags.Username = req.TagsUsername
	if err := setTagsDisable(&sc.tags, strings.Join(req.TagsDisable, ",")); err != nil {
		return nil, 0, fmt.Errorf("tags_disable: %v", err)
	}
	if req.Seed != nil {
		sc.seed, sc.seedSet = *req.Seed, true
	}
	for name, pass := range req.Users {
		if err := sc.users.Set(name + ":" + pass); err != nil || strings.Contains(name, ":") {
			return nil, 0, fmt.Errorf("users: %q: want a name without ':'", name)
		}
	}
	for name, token := range req.Tokens {
		if err := sc.tokens.Set(name + ":" + token); err != nil || strings.Contains(name, ":") {
			return nil, 0, fmt.Errorf("tokens: %q: want a name without ':'", name)
		}
	}
	for _, k := range req.DKIMKeys {
		key, err := dkimtest.ParseKey(k.Domain, k.Selector, []byte(k.Key))
		if err != nil {
			return nil, 0, fmt.Errorf("dkim_keys %s:%s: %v", k.Domain, k.Selector, strings.TrimPrefix(err.Error(), "dkimtest: "))
		}
		sc.dkimKeys = append(sc.dkimKeys, key)
	}
	for _, v := range []struct {
		name string
		to   *int
		from *int
	}{{"max_messages", &sc.maxMessages, req.MaxMessages}, {"max_transcripts", &sc.maxTranscripts, req.MaxTranscripts}, {"max_rejections", &sc.maxRejections, req.MaxRejections}} {
		if v.from != nil {
			if *v.from < 0 {
				return nil, 0, fmt.Errorf("%s: want 0 (no limit) or more", v.name)
			}
			*v.to = *v.from
		}
	}
	if req.MaxStoreBytes != nil {
		if *req.MaxStoreBytes < 0 {
			return nil, 0, errors.New("max_store_bytes: want 0 (no limit) or more")
		}
		sc.maxStoreBytes = *req.MaxStoreBytes
	}
	if len(req.Faults) > maxFaults {
		return nil, 0, fmt.Errorf("%d faults; at most %d may be in force", len(req.Faults), maxFaults)
	}
	for _, spec := range req.Faults {
		if _, err := smtptest.ParseFault(spec); err != nil {
			return nil, 0, fmt.Errorf("faults: %w", err)
		}
	}
	sc.allowHosts = stringsFlag{strings.Join(req.AllowHosts, ",")}
	sc.checks = jsonview.NewChecks(sc.bulkSender, sc.dkimKeys, sc.lintOptions()...)
	if _, err := serverOptions(sc); err != nil { // what the flags could not say either
		return nil, 0, err
	}
	return sc, ttl, nil
}

// sandboxHost is the host the sandboxes listen on: -addr's.
func sandboxHost(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return "127.0.0.1"
	}
	return host
}

// newSandboxID is 8 random hex digits: not guessable by another test
// run sharing the server, short enough to read in a URL.
func newSandboxID() (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// portRange is -sandbox-ports: "1100-1199", or a single port.
type portRange struct{ first, last int }

func (p portRange) size() int {
	if p.first == 0 {
		return 0
	}
	return p.last - p.first + 1
}

func (p *portRange) String() string {
	if p == nil || p.first == 0 {
		return ""
	}
	return fmt.Sprintf("%d-%d", p.first, p.last)
}

func (p *portRange) Set(v string) error {
	a, b, ok := strings.Cut(v, "-")
	if !ok {
		b = a
	}
	first, err1 := strconv.Atoi(strings.TrimSpace(a))
	last, err2 := strconv.Atoi(strings.TrimSpace(b))
	if err1 != nil || err2 != nil || first < 1 || last > 65535 || first > last {
		return errors.New("want a port or a range FIRST-LAST, like 1100-1199")
	}
	p.first, p.last = first, last
	return nil
}

// writeJSON writes v as the answer's JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
