package assert

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/dkimtest"
)

// DKIM checks that every message the server received so far carries a
// DKIM signature that
//
//   - is by domain (d=, compared case-insensitively; "" accepts any
//     domain aligned with From),
//   - verified against the keys registered with the server
//     ([smtptest.Server.DKIMKeys], [smtptest.Server.NewDKIMKey]),
//   - aligns with the From domain (relaxed alignment, RFC 7489 3.1, what
//     DMARC asks by default and Gmail and Yahoo require of bulk senders),
//   - lists From and every field named in covering in h= ("Subject",
//     "List-Unsubscribe", ...; names compare case-insensitively),
//   - and leaves no part of the body unsigned (l=, RFC 6376 8.2).
//
// It fails the test (Errorf) when a message has no such signature, or
// when there is no message at all, and says for each message which
// signatures it has, why each failed (the verification error, another
// domain, no alignment) and which of the fields asked for h= does not
// list.
func DKIM(t testing.TB, srv *smtptest.Server, domain string, covering ...string) bool {
	t.Helper()
	return Checker{}.DKIM(t, srv, domain, covering...)
}

// DKIM is [DKIM] with c's scope and wait: with [To] or [Where] it checks
// only those messages, with [Within] it first waits for one.
func (c Checker) DKIM(t testing.TB, srv *smtptest.Server, domain string, covering ...string) bool {
	t.Helper()
	msgs := c.messages(srv, 1)
	wanted := append([]string{"From"}, covering...)
	by := "by " + domain
	if domain == "" {
		by = "by the From domain"
	}
	if len(msgs) == 0 {
		t.Errorf("assert.DKIM: no message to check for a signature %s%s", by, c.waitNote(0, 1))
		return false
	}
	var report strings.Builder
	bad := 0
	for i, m := range msgs {
		results, err := srv.VerifyDKIM(m)
		if err == nil && slices.ContainsFunc(results, func(r dkimtest.Result) bool { return signatureProblem(r, domain, wanted) == "" }) {
			continue
		}
		bad++
		fmt.Fprintf(&report, "\nmessage %d (%s):", i+1, m)
		if err != nil {
			fmt.Fprintf(&report, "\n  %v", err)
		}
		if len(results) == 0 && err == nil {
			report.WriteString("\n  no DKIM-Signature")
		}
		for _, r := range results {
			fmt.Fprintf(&report, "\n  %s", r)
			// What String does not say already.
			if p := signatureProblem(r, domain, wanted); strings.HasPrefix(p, "by ") || strings.HasPrefix(p, "h= ") {
				fmt.Fprintf(&report, "; %s", p)
			}
		}
	}
	if bad == 0 {
		return true
	}
	t.Errorf("assert.DKIM: %d of %d message(s) have no valid signature %s, aligned with From, covering %s:%s",
		bad, len(msgs), by, strings.Join(wanted, ", "), report.String())
	return false
}

// signatureProblem says why r is not a signature the check accepts; ""
// if it is. Verification errors are in r's own String.
func signatureProblem(r dkimtest.Result, domain string, wanted []string) string {
	var missing []string
	for _, w := range wanted {
		if !r.Covers(w) {
			missing = append(missing, w)
		}
	}
	switch {
	case !r.Verified():
		return "not verified"
	case domain != "" && !strings.EqualFold(strings.TrimSuffix(r.Domain, "."), strings.TrimSuffix(domain, ".")):
		return "by " + r.Domain + ", not " + domain
	case r.Aligned == dkimtest.NotAligned:
		return "not aligned with From"
	case len(missing) > 0:
		return "h= does not list " + strings.Join(missing, ", ")
	case r.UnsignedBody > 0:
		return "the body goes on past l="
	}
	return ""
}
