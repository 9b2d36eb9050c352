package web

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"

	"github.com/smtptest/smtptest"
)

// Tagging says which tags a message gets when it arrives, as Mailpit
// (v1.33) makes them. The zero value is Mailpit's default: the X-Tags
// header field and plus-addresses, not the AUTH user.
type Tagging struct {
	NoXTags         bool // no tags from an X-Tags header field ("a, b"); Mailpit's --tags-disable x-tags
	NoPlusAddresses bool // no tags from plus-addresses (ann+a+b@example.org: a, b); --tags-disable plus-addresses
	Username        bool // a tag of the SMTP AUTH user; Mailpit's --tags-username
}

// A tag, as Mailpit keeps one: letters, digits, "-", " ", "_", "." and
// "@", 1 to 100 bytes; other characters become spaces, runs of white
// space one space (cleanTag). Tags are one set for all messages, told
// apart without case: the first spelling stays.
const maxTagLen = 100

// cleanTag is Mailpit's CleanTag: the characters a tag may not hold
// replaced by spaces, runs of white space made one space, trimmed, cut
// to 100 bytes.
func cleanTag(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if !tagChar(r) {
			r = ' '
		}
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	t := b.String()
	if len(t) > maxTagLen {
		t = strings.TrimRight(t[:maxTagLen], " ")
	}
	return t
}

// tagChar reports whether a tag may hold r (Mailpit's ValidTagRegexp).
func tagChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("- _.@", r)
}

// tagSet is tags cleaned, without the empty ones, each once whatever its
// case (the first spelling), sorted as Mailpit lists them (without case).
func tagSet(tags []string) []string {
	out := []string{}
	for _, t := range tags {
		t = cleanTag(t)
		if t == "" || slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, t) }) {
			continue
		}
		out = append(out, t)
	}
	sortTags(out)
	return out
}

// sortTags sorts tags as Mailpit's database does (COLLATE NOCASE).
func sortTags(tags []string) {
	slices.SortFunc(tags, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
}

// autoTags are the tags m gets on arrival by tg: the X-Tags field
// (comma-separated), the "+" parts of the header's addresses (and the
// envelope recipients missing from it, which Mailpit lists as Bcc), the
// AUTH user.
func autoTags(m *smtptest.Message, f headerFacts, tg Tagging) []string {
	var tags []string
	if !tg.NoXTags {
		if h, err := m.Header(); err == nil {
			if x := strings.TrimSpace(h.Get("X-Tags")); x != "" {
				tags = append(tags, strings.Split(x, ",")...)
			}
		}
	}
	if !tg.NoPlusAddresses {
		for _, a := range slices.Concat(f.to, f.cc, f.bcc, []*mail.Address{f.from}) {
			if a != nil {
				tags = append(tags, plusTags(a.Address)...)
			}
		}
	}
	if tg.Username && m.AuthUser != "" {
		tags = append(tags, m.AuthUser)
	}
	return tagSet(tags)
}

// plusTags are the tags of a plus-address: what stands between the first
// "+" and the "@" after it, split at each "+" (Mailpit's
// `(?U)^(.*){1,}\+(.*)@`).
func plusTags(addr string) []string {
	i := strings.IndexByte(addr, '+')
	if i < 0 {
		return nil
	}
	j := strings.IndexByte(addr[i+1:], '@')
	if j < 0 {
		return nil
	}
	return strings.Split(addr[i+1:i+1+j], "+")
}

// errTag is a refused tag change: Mailpit answers 400 with its text.
type errTag struct{ msg string }

func (e errTag) Error() string { return e.msg }

// tagsOfLocked are message id's tags: set through the API, or those it
// arrived with, each in the spelling tags have. mb.mu is held.
func (mb *mailbox) tagsOfLocked(id int, e *entry) []string {
	tags := e.tags
	if set, ok := mb.tagged[id]; ok {
		tags = set.tags
	}
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = mb.spellingLocked(t)
	}
	sortTags(out)
	return out
}

// spellingLocked is t as tags spell it (the first spelling seen), and
// makes t's spelling the one if there is none. mb.mu is held.
func (mb *mailbox) spellingLocked(t string) string {
	k := strings.ToLower(t)
	if s, ok := mb.spelling[k]; ok {
		return s
	}
	mb.spelling[k] = t
	return t
}

// setTags sets the tags of the messages with these IDs (Mailpit's PUT
// /api/v1/tags: what they had is replaced; [] removes all). IDs of
// messages not kept are passed over.
func (mb *mailbox) setTags(ids []int, tags []string) {
	tags = tagSet(tags)
	for _, id := range ids {
		if _, ok := mb.entry(id); !ok {
			continue
		}
		mb.mu.Lock()
		mb.tagged[id] = taggedAt{tags: tags, epoch: mb.epoch}
		mb.mu.Unlock()
	}
	mb.tagsChanged()
}

// allTags are the tags of the messages kept, sorted, with how many
// messages have each.
func (mb *mailbox) allTags() ([]string, map[string]int) {
	counts := map[string]int{}
	for _, it := range mb.list() {
		for _, t := range it.tags {
			counts[t]++
		}
	}
	names := make([]string, 0, len(counts))
	for t := range counts {
		names = append(names, t)
	}
	sortTags(names)
	return names, counts
}

// renameTag renames tag from to to on every message that has it
// (Mailpit's PUT /api/v1/tags/{tag}); to may change only its case.
func (mb *mailbox) renameTag(from, to string) error {
	to = cleanTag(to)
	if to == "" {
		return errTag{fmt.Sprintf("invalid tag name: %s", to)}
	}
	if from == to {
		return nil // as Mailpit: nothing to do, whether or not there is such a tag
	}
	items := mb.list()
	found := false
	for _, it := range items {
		for _, t := range it.tags {
			switch {
			case strings.EqualFold(t, from):
				found = true
			case strings.EqualFold(t, to):
				return errTag{fmt.Sprintf("tag already exists: %s", to)}
			}
		}
	}
	if !found {
		return errTag{fmt.Sprintf("tag not found: %s", from)}
	}
	mb.retag(items, func(t string) (string, bool) {
		if strings.EqualFold(t, from) {
			return to, true
		}
		return t, true
	})
	mb.mu.Lock()
	delete(mb.spelling, strings.ToLower(from))
	mb.spelling[strings.ToLower(to)] = to
	mb.mu.Unlock()
	mb.tagsChanged()
	return nil
}

// deleteTag takes tag off every message that has it (Mailpit's DELETE
// /api/v1/tags/{tag}); the messages stay.
func (mb *mailbox) deleteTag(tag string) error {
	items := mb.list()
	if !slices.ContainsFunc(items, func(it item) bool {
		return slices.ContainsFunc(it.tags, func(t string) bool { return strings.EqualFold(t, tag) })
	}) {
		return errTag{fmt.Sprintf("tag not found: %s", tag)}
	}
	mb.retag(items, func(t string) (string, bool) { return t, !strings.EqualFold(t, tag) })
	mb.mu.Lock()
	delete(mb.spelling, strings.ToLower(tag))
	mb.mu.Unlock()
	mb.tagsChanged()
	return nil
}

// retag sets the tags of each item to f of each of its tags (those f
// keeps), where that changes them.
func (mb *mailbox) retag(items []item, f func(string) (string, bool)) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	for _, it := range items {
		var next []string
		changed := false
		for _, t := range it.tags {
			n, keep := f(t)
			changed = changed || !keep || n != t
			if keep {
				next = append(next, n)
			}
		}
		if changed {
			mb.tagged[it.summary.id] = taggedAt{tags: tagSet(next), epoch: mb.epoch}
		}
	}
}

// tagsChanged tells the UI's streams the tags changed.
func (mb *mailbox) tagsChanged() {
	if mb.hub != nil {
		mb.hub.publishJSON("tags", struct{}{})
	}
}

// taggedAt is the tags a message was given through the API, with the
// epoch they were set in (see mailbox).
type taggedAt struct {
	tags  []string
	epoch uint64
}
