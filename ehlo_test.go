package smtptest_test

import (
	"bufio"
	"crypto/tls"
	"net/smtp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/smtptest/smtptest"
)

// ehloKeywords returns the extension lines of an EHLO reply (its first
// line, the greeting, left out), sorted.
func ehloKeywords(reply string) []string {
	lines := strings.Split(reply, "\n")
	kw := slices.Clone(lines[1:])
	slices.Sort(kw)
	return kw
}

// with returns base with extra added and the keywords in without removed
// (a keyword matches a line equal to it or starting with it and a space),
// sorted.
func with(base []string, extra []string, without ...string) []string {
	var out []string
	for _, k := range base {
		name, _, _ := strings.Cut(k, " ")
		if !slices.Contains(without, name) {
			out = append(out, k)
		}
	}
	out = append(out, extra...)
	slices.Sort(out)
	return out
}

// TestEHLOKeywords checks the exact list of extensions the EHLO reply
// advertises in every state a connection can be in: each keyword once, AUTH
// with its mechanisms where AUTH is allowed, SIZE with the cap, STARTTLS
// only before TLS.
func TestEHLOKeywords(t *testing.T) {
	base := []string{
		"8BITMIME", "CHUNKING", "DSN", "ENHANCEDSTATUSCODES", "LIMITS RCPTMAX=1000",
		"PIPELINING", "SIZE 33554432", "SMTPUTF8",
	}
	const auth = "AUTH PLAIN LOGIN"
	users := smtptest.Users(map[string]string{"u": "p"})
	for _, tc := range []struct {
		name   string
		opts   []smtptest.Option
		before []string // over plain text; nil: the server speaks TLS from the start
		after  []string // after STARTTLS (or with implicit TLS); nil: no TLS
	}{
		{"none", nil, base, nil},
		{"StartTLS", []smtptest.Option{smtptest.StartTLS()},
			with(base, []string{"STARTTLS"}), base},
		{"RequireTLS", []smtptest.Option{smtptest.RequireTLS()},
			with(base, []string{"STARTTLS"}), base},
		{"Users", []smtptest.Option{users},
			with(base, []string{auth}), nil},
		{"Users+StartTLS", []smtptest.Option{users, smtptest.StartTLS()},
			with(base, []string{"STARTTLS", auth}), with(base, []string{auth})},
		{"Users+RequireTLS", []smtptest.Option{users, smtptest.RequireTLS()},
			with(base, []string{"STARTTLS"}), with(base, []string{auth})},
		{"Users+AuthRequiresTLS+StartTLS", []smtptest.Option{users, smtptest.AuthRequiresTLS(), smtptest.StartTLS()},
			with(base, []string{"STARTTLS"}), with(base, []string{auth})},
		{"Users+AuthRequiresTLS", []smtptest.Option{users, smtptest.AuthRequiresTLS()},
			base, nil},
		{"DisableExtensions", []smtptest.Option{smtptest.DisableExtensions("chunking", "DSN", "size")},
			with(base, nil, "CHUNKING", "DSN", "SIZE"), nil},
		{"DisableExtensions+StartTLS", []smtptest.Option{smtptest.DisableExtensions("CHUNKING", "SMTPUTF8"), smtptest.StartTLS()},
			with(base, []string{"STARTTLS"}, "CHUNKING", "SMTPUTF8"), with(base, nil, "CHUNKING", "SMTPUTF8")},
		{"DisableExtensions STARTTLS", []smtptest.Option{smtptest.DisableExtensions("STARTTLS"), smtptest.StartTLS()},
			base, nil},
		{"DisableExtensions AUTH", []smtptest.Option{smtptest.DisableExtensions("AUTH"), users, smtptest.StartTLS()},
			with(base, []string{"STARTTLS"}), base},
		{"ImplicitTLS", []smtptest.Option{smtptest.ImplicitTLS()},
			nil, base},
		{"ImplicitTLS+Users+AuthRequiresTLS", []smtptest.Option{smtptest.ImplicitTLS(), users, smtptest.AuthRequiresTLS()},
			nil, with(base, []string{auth})},
		{"MaxMessageBytes", []smtptest.Option{smtptest.MaxMessageBytes(1234)},
			with(base, []string{"SIZE 1234"}, "SIZE"), nil},
		{"MaxMessageBytes+StartTLS+Users", []smtptest.Option{smtptest.MaxMessageBytes(1234), smtptest.StartTLS(), users},
			with(base, []string{"SIZE 1234", "STARTTLS", auth}, "SIZE"), with(base, []string{"SIZE 1234", auth}, "SIZE")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := smtptest.NewServer(t, tc.opts...)
			var c *rawClient
			if tc.before != nil {
				c = dial(t, srv, 220)
				got := ehloKeywords(c.cmd("EHLO client.example", 250))
				if diff := cmp.Diff(tc.before, got); diff != "" {
					t.Errorf("EHLO before TLS mismatch (-want +got):\n%s", diff)
				}
				// A second EHLO in the same state gets the same list.
				if diff := cmp.Diff(got, ehloKeywords(c.cmd("EHLO client.example", 250))); diff != "" {
					t.Errorf("second EHLO before TLS differs (-first +second):\n%s", diff)
				}
				if tc.after != nil {
					c.startTLS(srv.ClientTLSConfig())
				}
			} else {
				tc, err := tls.Dial("tcp", srv.Addr(), srv.ClientTLSConfig())
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { tc.Close() })
				c = &rawClient{t: t, nc: tc, r: bufio.NewReader(tc)}
				c.expect(220)
			}
			if tc.after != nil {
				got := ehloKeywords(c.cmd("EHLO client.example", 250))
				if diff := cmp.Diff(tc.after, got); diff != "" {
					t.Errorf("EHLO after TLS mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestNetSMTPSeesAuthBeforeSTARTTLS is the report that found the EHLO bug:
// with STARTTLS offered and AUTH allowed over plain text, net/smtp must see
// both extensions and be able to log in without TLS.
func TestNetSMTPSeesAuthBeforeSTARTTLS(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.StartTLS(), alice)
	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"STARTTLS", "AUTH", "SIZE", "PIPELINING", "8BITMIME", "SMTPUTF8", "DSN", "CHUNKING"} {
		if ok, _ := c.Extension(ext); !ok {
			t.Errorf("net/smtp: Extension(%q) = false", ext)
		}
	}
	if ok, params := c.Extension("AUTH"); !ok || params != "PLAIN LOGIN" {
		t.Errorf("AUTH %q", params)
	}
}
