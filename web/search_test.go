package web

import (
	"fmt"
	"math/rand/v2"
	"net/smtp"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/internal/jsonview"
)

func TestSplitQuery(t *testing.T) {
	for in, want := range map[string][]string{
		`subject:"hello world" from:ann`: {"subject:hello world", "from:ann"},
		`  a   b `:                       {"a", "b"},
		`"quoted phrase"`:                {"quoted phrase"},
		`-"not this"`:                    {"-not this"},
		`""`:                             nil,
	} {
		if got := splitQuery(in); !slices.Equal(got, want) {
			t.Errorf("splitQuery(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestQueryMatches(t *testing.T) {
	received := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	m := &searchable{
		from:      `{"name":"ann example","address":"ann@example.com"}`,
		to:        `[{"name":"","address":"bob@example.org"}]`,
		cc:        `[{"name":"carol","address":"carol@example.net"}]`,
		bcc:       `[{"name":"","address":"dave@example.org"}]`,
		replyTo:   `[]`,
		subject:   "welcome, bob!",
		messageID: "welcome-1@example.com",
		text:      cleanString("Ann <ann@example.com> Welcome, Bob! bob@example.org Click https://example.com/verify report.pdf"),
		read:      false, attachments: 1, inline: 0,
		received: received, size: 2048,
	}
	for _, c := range []struct {
		q    string
		want bool
	}{
		{"", true},
		{"to:bob", true},
		{"to:ann", false},
		{"from:ANN", true},
		{"from:example.com", true},
		{"cc:carol", true},
		{"bcc:dave", true},
		{"reply-to:x", false},
		{"-reply-to:x", true},
		{"addressed:carol", true},
		{"addressed:zed", false},
		{"!addressed:zed", true},
		{"subject:welcome", true},
		{`subject:"welcome, bob"`, true},
		{"subject:goodbye", false},
		{"-subject:welcome", false},
		{"message-id:welcome-1", true},
		{"message-id:<welcome-1@example.com>", true}, // brackets cleaned away
		{"tag:x", false},
		{"-tag:x", true},
		{"is:unread", true},
		{"is:read", false},
		{"!is:read", true},
		{"is:tagged", false},
		{"has:attachment", true},
		{"has:attachments", true},
		{"has:inline", false},
		{"-has:inline", true},
		{"after:2026-12-01", true},
		{"after:2026-12-02", false},
		{"before:2026-12-02", true},
		{"before:2026-11-30", false},
		{"-before:2026-11-30", true},
		{"after:2026-12-01T09:59:00Z", true},
		{"after:2026-12-01T10:00:01Z", false},
		{`after:"1 Dec 2026"`, true}, // a date with spaces is quoted
		{"after:nonsense", true},     // ignored, as Mailpit ignores it
		{"larger:1kb", true},
		{"larger:2kb", false},
		{"smaller:2.5k", true},
		{"smaller:1024", false},
		{"larger:lots", true}, // not a size: free text "larger:lots", which... see below
		{"verify", true},
		{"VERIFY", true},
		{"report.pdf", true},
		{`"click https"`, true},
		{`"https click"`, false},
		{"-verify", false},
		{"welcome to:bob has:attachment is:unread", true},
		{"welcome to:bob has:inline", false},
		{"to:", true}, // an empty filter filters nothing
	} {
		q, err := parseQuery(c.q, time.UTC)
		if err != nil {
			t.Fatalf("%q: %v", c.q, err)
		}
		if c.q == "larger:lots" {
			// Not a size, so Mailpit searches the text for "larger:lots".
			if len(q) != 1 || q[0].field != "" || q.matches(m) {
				t.Errorf("%q: %+v", c.q, q)
			}
			continue
		}
		if got := q.matches(m); got != c.want {
			t.Errorf("%q matches = %v, want %v (%+v)", c.q, got, c.want, q)
		}
	}
	// The time zone of dates without one.
	ny, err := time.LoadLocation("America/New_York")
	if q, _ := parseQuery(`before:"2026-12-01 06:00"`, ny); err == nil && !q.matches(m) {
		t.Error("before: in America/New_York: 06:00 there is 11:00 UTC, after the message")
	}
}

func TestSizeOf(t *testing.T) {
	for in, want := range map[string]int64{"1024": 1024, "1k": 1024, "1kb": 1024, "1.5mb": 1572864, "2 m": 2 << 20, "": 0, "1gb": 0, "x": 0} {
		if got := sizeOf(in); got != want {
			t.Errorf("sizeOf(%q) = %d, want %d", in, got, want)
		}
	}
}

// mailpitClean is Mailpit's own normalisation (its regular expression),
// which cleanString must equal.
func mailpitClean(s string) string {
	s = strings.ReplaceAll(s, "\uFEFF", " ")
	s = regexp.MustCompile(`(\r?\n|\t|>|<|"|,|;|\(|\))`).ReplaceAllString(s, " ")
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

func TestCleanStringIsMailpits(t *testing.T) {
	cases := []string{
		"", "  ", "Ann <ann@example.com>, Bob (boss); \"quoted\"\r\nnext\tline\rcr\n\nend",
		"\uFEFFbom", "ÉCOLE Straße", "a\r\r\nb", "((()))", "x>y<z", "\v\f vertical",
		"bad \xff\xfe bytes", "ASCII\x80", "\u0085next line\u00a0nbsp", "İSTANBUL ΣΑΣ",
	}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("aZ \r\n\t<>\",;()\uFEFFé\v.@")
	for range 2000 {
		b := make([]rune, r.IntN(40))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, c := range cases {
		if got, want := cleanString(c), mailpitClean(c); got != want {
			t.Errorf("cleanString(%q) = %q, Mailpit's %q", c, got, want)
		}
	}
}

// TestStrictQuery: a query that changes what it selects is refused when
// it would select by nothing (Mailpit deletes everything then) or has a
// filter it cannot read; a query past the limits is refused everywhere.
func TestStrictQuery(t *testing.T) {
	for _, s := range []string{`"`, `to:`, `subject:`, `,`, `before:xyz`, `after:`, `to:bob before:xyz`, `"" ""`} {
		if q, err := strictQuery(s, time.UTC); err == nil {
			t.Errorf("strictQuery(%q) = %+v; want an error", s, q)
		}
		if _, err := parseQuery(s, time.UTC); err != nil {
			t.Errorf("parseQuery(%q): %v; a search reads it as Mailpit does", s, err)
		}
	}
	for _, s := range []string{`to:bob`, `-subject:x`, `is:read`, `welcome`, `before:2026-12-01`} {
		if q, err := strictQuery(s, time.UTC); err != nil || len(q) == 0 {
			t.Errorf("strictQuery(%q) = %+v, %v", s, q, err)
		}
	}
	long := strings.Repeat("-x ", maxQueryTerms+1)
	for _, s := range []string{long, strings.Repeat("x", maxQueryBytes+1)} {
		if _, err := parseQuery(s, time.UTC); err == nil {
			t.Errorf("parseQuery of %d bytes: no error", len(s))
		}
	}
	if _, err := parseQuery(strings.Repeat("-x ", maxQueryTerms), time.UTC); err != nil {
		t.Errorf("%d terms: %v", maxQueryTerms, err)
	}
}

// TestQueryWaitMatchesEachMessageOnce: a wait with a query matches each
// message once as it arrives, not the whole store again per new message;
// with is:read it looks again (read status changes).
func TestQueryWaitMatchesEachMessageOnce(t *testing.T) {
	srv, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	mb := newMailbox(srv, jsonview.NewChecks(false, nil), nil, Tagging{})
	send := func(subject string) {
		t.Helper()
		if err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte("Subject: "+subject+"\r\n\r\nx\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	q, _ := parseQuery("subject:wanted", time.UTC)
	qw := newQueryWait(q, srv, mb)
	calls := 0
	qw.match = func(q query, s *searchable) bool { calls++; return q.matches(s) }
	for i := range 10 {
		send(fmt.Sprint("other ", i))
		qw.matched()
	}
	send("wanted")
	if got := qw.matched(); len(got) != 1 {
		t.Errorf("matched %v", got)
	}
	if calls != 11 {
		t.Errorf("%d matches for 11 messages, each seen once; want 11 (not 66)", calls)
	}
	read, _ := parseQuery("is:read", time.UTC)
	qr := newQueryWait(read, srv, mb)
	qr.matched()
	mb.setRead([]int{lastID(t, srv)}, true)
	if got := qr.matched(); len(got) != 1 {
		t.Errorf("is:read after marking one read: %v", got)
	}
}
