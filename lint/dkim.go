package lint

import (
	"errors"
	"strings"

	"github.com/smtptest/smtptest/dkimtest"
)

// DKIMKeys verifies the message's DKIM signatures against keys (see
// package dkimtest; never DNS): a signature that does not verify is an
// Error (dkim/invalid), one whose key keys lacks a Warning (dkim/no-key).
// With [BulkSender], only signatures that verified count towards the
// bulk-sender rules; without DKIMKeys, BulkSender checks what the
// signatures claim (d=, h=) without verifying them.
func DKIMKeys(keys *dkimtest.Keys) Option {
	return optionFunc(func(c *config) { c.dkimKeys = keys })
}

// checkDKIM checks the DKIM signatures of the top-level entity e: with
// DKIMKeys, whether they verify; with BulkSender, that one is aligned with
// From and covers From and the unsubscribe fields (RFC 8058 4).
func (c *checker) checkDKIM(e *entity) {
	verifying := c.cfg.dkimKeys != nil
	if !verifying && !c.cfg.bulk {
		return
	}
	results, err := dkimtest.Verify(c.data, c.cfg.dkimKeys)
	if err != nil && !errors.Is(err, dkimtest.ErrTooManySignatures) {
		return // the header does not end: header/ rules say so
	}
	sigs := e.get("dkim-signature")
	off := func(i int) int {
		if len(sigs) == len(results) {
			return sigs[i].off
		}
		return -1
	}
	for i, r := range results {
		switch {
		case !verifying || r.Err == nil:
		case errors.Is(r.Err, dkimtest.ErrNoKey):
			c.add("dkim/no-key", "", off(i), "DKIM-Signature d=%s s=%s cannot be verified: %v", r.Domain, r.Selector, r.Err)
		default:
			c.add("dkim/invalid", "", off(i), "DKIM-Signature d=%s s=%s does not verify: %v", r.Domain, r.Selector, r.Err)
		}
		switch {
		case r.UnsignedBody > 0:
			c.add("dkim/body-length", "", off(i), "DKIM-Signature d=%s s=%s has l=%d: the %d octets of the body after them are not signed, and anyone could append content", r.Domain, r.Selector, r.BodyLength, r.UnsignedBody)
		case !verifying && r.BodyLength >= 0:
			c.add("dkim/body-length", "", off(i), "DKIM-Signature d=%s s=%s has l=%d: any content after that many octets of the body would be unsigned", r.Domain, r.Selector, r.BodyLength)
		}
	}
	if !c.cfg.bulk {
		return
	}
	c.checkFeedbackID(e, func(field string) bool {
		for _, r := range results {
			if r.Covers(field) {
				return true
			}
		}
		return len(results) == 0 // unsigned: dkim/missing says so
	})
	if len(results) == 0 {
		c.add("dkim/missing", "", -1, "no DKIM-Signature: Gmail and Yahoo require bulk mail to be signed by a domain aligned with From")
		return
	}
	var aligned []int
	var domains []string
	for i, r := range results {
		domains = append(domains, r.Domain)
		if (!verifying || r.Verified()) && r.Aligned != dkimtest.NotAligned {
			aligned = append(aligned, i)
		}
	}
	if len(aligned) == 0 {
		from := results[0].FromDomain
		if from == "" {
			from = "(none: no single From address)"
		}
		which := "signing domain"
		if verifying {
			which = "verified signing domain"
		}
		c.add("dkim/not-aligned", "", off(0), "no %s (d=%s) aligns with the From domain %s, as Gmail and Yahoo require of bulk senders", which, strings.Join(domains, ", d="), from)
		return
	}
	required := []string{"From"}
	for _, f := range []string{"List-Unsubscribe", "List-Unsubscribe-Post"} {
		if _, ok := e.first(strings.ToLower(f)); ok {
			required = append(required, f)
		}
	}
	var missing []string
	for _, i := range aligned {
		missing = missing[:0]
		for _, f := range required {
			if !results[i].Covers(f) {
				missing = append(missing, f)
			}
		}
		if len(missing) == 0 {
			return
		}
	}
	r := results[aligned[0]]
	c.add("dkim/unsigned-field", "", off(aligned[0]), "DKIM-Signature d=%s s=%s does not sign %s (h=%s): receivers require the one-click unsubscribe fields signed", r.Domain, r.Selector, strings.Join(missing, ", "), strings.Join(r.HeaderKeys, ":"))
}
