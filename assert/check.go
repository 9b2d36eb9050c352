package assert

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/internal/report"
)

// Delivered is [Delivered], with c's options.
func (c Checker) Delivered(t testing.TB, srv *smtptest.Server, want ...Mail) bool {
	t.Helper()
	got := c.messages(srv, len(want))
	if len(got) == len(want) {
		var b strings.Builder
		for i := range want {
			if diff := c.diff(want[i], view(want[i], got[i])); diff != "" {
				fmt.Fprintf(&b, "assert.Delivered: message %d of %d mismatch (-want +got):\n%s", i+1, len(want), diff)
			}
		}
		if b.Len() == 0 {
			return true
		}
		c.fail(t, srv, got, b.String())
		return false
	}
	views := make([]Mail, len(got))
	for i, m := range got {
		if i < len(want) {
			views[i] = view(want[i], m)
		} else {
			views[i] = brief(m)
		}
	}
	c.fail(t, srv, got, fmt.Sprintf("assert.Delivered: got %d message(s), want %d%s (-want +got):\n%s",
		len(got), len(want), c.waitNote(len(got), len(want)), c.diff(want, views)))
	return false
}

// DeliveredInAnyOrder is [DeliveredInAnyOrder], with c's options.
func (c Checker) DeliveredInAnyOrder(t testing.TB, srv *smtptest.Server, want ...Mail) bool {
	t.Helper()
	got := c.messages(srv, len(want))
	pair := c.assign(want, got)
	var b strings.Builder
	if len(got) != len(want) {
		fmt.Fprintf(&b, "assert.DeliveredInAnyOrder: got %d message(s), want %d%s\n", len(got), len(want), c.waitNote(len(got), len(want)))
	}
	used := make([]bool, len(got))
	for _, j := range pair {
		if j >= 0 {
			used[j] = true
		}
	}
	for i, j := range pair {
		if j >= 0 {
			continue
		}
		fmt.Fprintf(&b, "assert.DeliveredInAnyOrder: no message matches expectation %d of %d", i+1, len(want))
		if k := c.closest(want[i], got, used); k >= 0 {
			fmt.Fprintf(&b, "; the closest is message %d (-want +got):\n%s", k+1, c.diff(want[i], view(want[i], got[k])))
		} else {
			b.WriteString("\n")
		}
	}
	if len(got) > len(want) {
		for j, m := range got {
			if !used[j] {
				fmt.Fprintf(&b, "assert.DeliveredInAnyOrder: message %d is not expected: %s\n", j+1, m)
			}
		}
	}
	if b.Len() == 0 {
		return true
	}
	c.fail(t, srv, got, b.String())
	return false
}

// Includes is [Includes], with c's options and scope: only messages in
// scope can match. With [Within], it returns as soon as a matching
// message arrives.
func (c Checker) Includes(t testing.TB, srv *smtptest.Server, want Mail) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), c.wait)
	defer cancel()
	var all []*smtptest.Message
	for seen := 0; ; seen = len(all) {
		var err error
		all, err = srv.WaitForMessagesContext(ctx, seen+1)
		for _, m := range all[min(seen, len(all)):] {
			if (c.scope == nil || c.scope.selects(m)) && cmp.Equal(want, view(want, m), c.cmpOptions()...) {
				return true
			}
		}
		if err != nil {
			break
		}
	}
	got := c.inScope(all)
	msg := "assert.Includes: no message matches" + c.scopeText()
	if k := c.closest(want, got, make([]bool, len(got))); k >= 0 {
		msg += fmt.Sprintf("; the closest is message %d (-want +got):\n%s", k+1, c.diff(want, view(want, got[k])))
	}
	c.fail(t, srv, got, msg)
	return false
}

// Count is [Count], with c's options.
func (c Checker) Count(t testing.TB, srv *smtptest.Server, n int) bool {
	t.Helper()
	got := c.messages(srv, n)
	if len(got) == n {
		return true
	}
	c.fail(t, srv, got, fmt.Sprintf("assert.Count: got %d message(s), want %d%s", len(got), n, c.waitNote(len(got), n)))
	return false
}

// NoMail is [NoMail], with c's options. With [Within], it waits the whole
// time for a message that must not come, and fails as soon as one does.
func (c Checker) NoMail(t testing.TB, srv *smtptest.Server) bool {
	t.Helper()
	got := c.messages(srv, 1)
	if len(got) == 0 {
		return true
	}
	c.fail(t, srv, got, fmt.Sprintf("assert.NoMail: got %d message(s), want none", len(got)))
	return false
}

// Rejected is [Rejected], with c's options.
func (c Checker) Rejected(t testing.TB, srv *smtptest.Server, want ...Rejection) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), c.wait)
	defer cancel()
	got, _ := c.rejections(ctx, srv, len(want))
	var views []Rejection
	for i, r := range got {
		var w Rejection
		if i < len(want) {
			w = want[i]
		} else {
			w = Rejection{Stage: r.Stage, Arg: r.Arg, Code: r.Reply.Code, Text: Exactly(r.Reply.Message)}
		}
		views = append(views, viewRejection(w, r))
	}
	if len(want) == 0 {
		want = nil // as views, when nothing was refused
	}
	diff := c.diff(want, views)
	if diff == "" {
		return true
	}
	var list strings.Builder
	fmt.Fprintf(&list, "%d rejection(s) made:", len(got))
	for i, r := range got {
		fmt.Fprintf(&list, "\n  %d. %s (conn %d)", i+1, r, r.ConnID)
	}
	t.Errorf("assert.Rejected: rejections mismatch (-want +got):\n%s%s\nSMTP transcript:\n%s", diff, list.String(), c.transcript(srv, nil, got))
	return false
}

// waitNote says, when fewer messages than wanted arrived, how long the
// check waited for the next one.
func (c Checker) waitNote(got, want int) string {
	switch {
	case got >= want:
		return ""
	case c.wait <= 0:
		return " (no wait: use assert.Within for mail sent in the background)"
	}
	return fmt.Sprintf(" (waited %v for message %d to arrive)", c.wait, got+1)
}

// matchComparer compares Matches by what they say; diffs print them with
// their String method.
var matchComparer = cmp.Comparer(func(a, b Match) bool {
	return a.op == b.op && a.s == b.s && (a.op != opFailed || a.err.Error() == b.err.Error())
})

// cmpOptions are the package's own options and the user's.
func (c Checker) cmpOptions() []cmp.Option {
	return append([]cmp.Option{matchComparer}, c.opts...)
}

func (c Checker) diff(want, got any) string {
	return cmp.Diff(want, got, c.cmpOptions()...)
}

// fail reports msg with the list of messages received and the transcript.
func (c Checker) fail(t testing.TB, srv *smtptest.Server, got []*smtptest.Message, msg string) {
	t.Helper()
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(msg, "\n"))
	b.WriteString("\n" + report.Received(got))
	fmt.Fprintf(&b, "\nSMTP transcript:\n%s", c.transcript(srv, got, nil))
	t.Errorf("%s", b.String())
}

// assign pairs each want with a distinct message that matches it, as many
// as possible (augmenting paths: a message that fits several wants goes
// where it is needed). pair[i] is the message index for want[i], or -1.
func (c Checker) assign(want []Mail, got []*smtptest.Message) []int {
	opts := c.cmpOptions()
	fits := make([][]bool, len(want))
	for i, w := range want {
		fits[i] = make([]bool, len(got))
		for j, m := range got {
			fits[i][j] = cmp.Equal(w, view(w, m), opts...)
		}
	}
	owner := make([]int, len(got)) // want index holding each message, or -1
	for j := range owner {
		owner[j] = -1
	}
	var try func(i int, seen []bool) bool
	try = func(i int, seen []bool) bool {
		for j := range got {
			if fits[i][j] && !seen[j] {
				seen[j] = true
				if owner[j] < 0 || try(owner[j], seen) {
					owner[j] = i
					return true
				}
			}
		}
		return false
	}
	for i := range want {
		try(i, make([]bool, len(got)))
	}
	pair := make([]int, len(want))
	for i := range pair {
		pair[i] = -1
	}
	for j, i := range owner {
		if i >= 0 {
			pair[i] = j
		}
	}
	return pair
}

// closest returns the unused message that differs from want in the fewest
// fields, or -1 if there is none.
func (c Checker) closest(want Mail, got []*smtptest.Message, used []bool) int {
	best, bestScore := -1, 0
	for j, m := range got {
		if used[j] {
			continue
		}
		v := view(want, m)
		score := 0
		for _, same := range []bool{
			want.From == v.From,
			cmp.Equal(want.To, v.To),
			want.Subject == v.Subject,
			cmp.Equal(want.Header, v.Header),
			want.Text == v.Text,
			want.HTML == v.HTML,
			cmp.Equal(want.Attachments, v.Attachments),
		} {
			if !same {
				score++
			}
		}
		if best < 0 || score < bestScore {
			best, bestScore = j, score
		}
	}
	return best
}

// view projects m onto the fields want sets, so that cmp.Diff(want, view)
// shows only what differs: a field want leaves zero is zero in the view,
// and a field that satisfies want (an address differing only in the case
// of its domain, a body a Match accepts) takes want's value.
func view(want Mail, m *smtptest.Message) Mail {
	var v Mail
	if want.From != "" {
		v.From = m.From
		if v.From == "" {
			v.From = NullSender
		}
		if sameAddr(want.From, v.From) {
			v.From = want.From
		}
	}
	if want.To != nil {
		v.To = append([]string{}, m.To...)
		for i := range min(len(want.To), len(v.To)) {
			if sameAddr(want.To[i], v.To[i]) {
				v.To[i] = want.To[i]
			}
		}
	}
	if want.Subject != "" {
		s, err := m.Subject()
		if err != nil {
			s = fmt.Sprintf("%s (%v)", s, err)
		}
		v.Subject = s
	}
	if want.Header != nil {
		v.Header = map[string]string{}
		h, err := m.Header()
		for k := range want.Header {
			if err != nil {
				v.Header[k] = fmt.Sprintf("(%v)", err)
			} else if h.Has(k) {
				val, err := h.Text(k)
				if err != nil {
					val = h.Get(k)
				}
				if sameAddressField(k, want.Header[k], val) {
					val = want.Header[k] // the same addresses: no difference to show
				}
				v.Header[k] = val
			}
		}
	}
	v.Text = viewBody(want.Text, m.TextBody)
	v.HTML = viewBody(want.HTML, m.HTMLBody)
	if want.Attachments != nil {
		atts, err := m.Attachments()
		if err != nil {
			atts = []smtptest.Attachment{{Filename: fmt.Sprintf("(%v)", err)}}
		}
		v.Attachments = []smtptest.Attachment{}
		for i, a := range atts {
			if i < len(want.Attachments) {
				a = viewAttachment(want.Attachments[i], a)
			}
			v.Attachments = append(v.Attachments, a)
		}
	}
	return v
}

// brief shows an unexpected message by its envelope and subject.
func brief(m *smtptest.Message) Mail {
	v := Mail{From: m.From, To: append([]string{}, m.To...)}
	if v.From == "" {
		v.From = NullSender
	}
	v.Subject, _ = m.Subject()
	return v
}

func viewBody(want Match, body func() (string, error)) Match {
	if want.isZero() {
		return Match{}
	}
	s, err := body()
	switch {
	case err != nil:
		return Match{op: opFailed, err: err}
	case want.matches(s):
		return want
	}
	return Exactly(s)
}

func viewAttachment(want, got smtptest.Attachment) smtptest.Attachment {
	if want.Filename == "" {
		got.Filename = ""
	}
	if want.ContentType == "" {
		got.ContentType = ""
	} else if strings.EqualFold(want.ContentType, got.ContentType) {
		got.ContentType = want.ContentType
	}
	if want.Disposition == "" {
		got.Disposition = ""
	}
	if want.ContentID == "" {
		got.ContentID = ""
	}
	if want.Part == "" {
		got.Part = ""
	}
	if want.Size == 0 {
		got.Size = 0
	}
	if want.Data == nil {
		got.Data = nil
	}
	return got
}

func viewRejection(want Rejection, r smtptest.Rejection) Rejection {
	var v Rejection
	if want.Stage != 0 {
		v.Stage = r.Stage
	}
	if want.Arg != "" {
		v.Arg = r.Arg
		if sameAddr(want.Arg, r.Arg) {
			v.Arg = want.Arg
		}
	}
	if want.Code != 0 {
		v.Code = r.Reply.Code
	}
	if want.EnhancedCode != (smtp.EnhancedCode{}) {
		v.EnhancedCode = r.Reply.EnhancedCode
	}
	v.Text = viewBody(want.Text, func() (string, error) { return r.Reply.Message, nil })
	return v
}

// sameAddr compares two addresses as SMTP does: the local part exactly,
// the domain without regard to case.
func sameAddr(a, b string) bool {
	if a == b {
		return true
	}
	ia, ib := strings.LastIndexByte(a, '@'), strings.LastIndexByte(b, '@')
	if ia < 0 || ib < 0 {
		return false
	}
	return a[:ia] == b[:ib] && strings.EqualFold(a[ia:], b[ib:])
}

// addressFields are the header fields that hold addresses.
var addressFields = map[string]bool{"from": true, "to": true, "cc": true, "bcc": true, "reply-to": true, "sender": true}

// sameAddressField reports whether the header field key has, as got, the
// addresses want lists: the same number, in order, each compared as SMTP
// does (the domain without regard to case), the display name only where
// want gives one.
func sameAddressField(key, want, got string) bool {
	if !addressFields[strings.ToLower(key)] {
		return false
	}
	w, err1 := mail.ParseAddressList(want)
	g, err2 := mail.ParseAddressList(got)
	if err1 != nil || err2 != nil || len(w) != len(g) {
		return false
	}
	for i := range w {
		if !sameAddr(w[i].Address, g[i].Address) || (w[i].Name != "" && w[i].Name != g[i].Name) {
			return false
		}
	}
	return true
}
