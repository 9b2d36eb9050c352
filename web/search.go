package web

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// The search query language of Mailpit (its docs: "Search filters"), for
// /api/v1/search and the other endpoints that take a query, read the way
// Mailpit reads it: words split at spaces outside double quotes (quotes
// removed), each a filter or free text, a leading - or ! negating it, all
// of them required.
//
//	to: from: cc: bcc: reply-to: addressed:  part of an address or name
//	subject: message-id:                     part of the field
//	tag:                                     a tag (without case)
//	is:read is:unread is:tagged              read status
//	has:attachment has:inline                attachments, inline parts
//	before: after:                           the time received (a date, or a date and time)
//	larger: smaller:                         the size: 1024, 20kb, 1.5mb
//	anything else                            part of the search text: the address
//	                                         and subject fields, the text (or the
//	                                         HTML's text), attachment names

// textFields are the filters that look for a part of a field.
var textFields = []string{"to", "from", "cc", "bcc", "reply-to", "addressed", "subject", "message-id", "tag"}

// query is a parsed search: every term must match.
type query []term

type term struct {
	negate bool
	field  string // "to", "subject", ..., "is", "has", "before", "after", "larger", "smaller"; "" for free text
	value  string // lower case, cleaned as Mailpit cleans it
	when   time.Time
	size   int64
}

// searchable is what a query looks at in one message, lower case.
type searchable struct {
	from, to, cc, bcc, replyTo string // the addresses as Mailpit's JSON has them
	subject, messageID         string
	text                       string // the search text, cleaned
	read                       bool
	tags                       []string // the message's tags at the time of the request
	attachments, inline        int
	received                   time.Time
	size                       int
}

// The limits of a query: its cost is its terms times the text searched
// (4,000 negated terms over 20 MB took 25 s). Past them it is refused.
const (
	maxQueryBytes = 4 << 10
	maxQueryTerms = 32
)

// parseQuery reads a search; loc is the time zone of dates without one.
// Filters whose value does not parse (a date, a size) are left out, as
// Mailpit leaves them out. The error says which limit the query is past.
func parseQuery(s string, loc *time.Location) (query, error) {
	q, _, err := parseQueryWords(s, loc)
	return q, err
}

// strictQuery is parseQuery for a query that changes what it selects
// (DELETE /api/v1/search, marking read): a query that selects by nothing
// would select every message, so one that is empty once parsed (`"`,
// `to:`, `,`) or has a filter that does not parse (`before:xyz`) is an
// error, never "all".
func strictQuery(s string, loc *time.Location) (query, error) {
	q, ignored, err := parseQueryWords(s, loc)
	switch {
	case err != nil:
		return nil, err
	case len(ignored) > 0:
		return nil, fmt.Errorf("the search %q has filters without a usable value: %s (nothing was changed)", s, strings.Join(ignored, ", "))
	case len(q) == 0:
		return nil, fmt.Errorf("the search %q has no terms once parsed: it would select every message (nothing was changed)", s)
	}
	return q, nil
}

// parseQueryWords reads a search and returns the words it left out.
func parseQueryWords(s string, loc *time.Location) (q query, ignored []string, err error) {
	if len(s) > maxQueryBytes {
		return nil, nil, fmt.Errorf("the search is %d bytes; at most %d are taken", len(s), maxQueryBytes)
	}
	words := splitQuery(s)
	if len(words) > maxQueryTerms {
		return nil, nil, fmt.Errorf("the search has %d terms; at most %d are taken", len(words), maxQueryTerms)
	}
	for _, w := range words {
		if cleanString(w) == "" {
			ignored = append(ignored, strconv.Quote(w))
			continue
		}
		t := term{}
		if len(w) > 1 && (w[0] == '-' || w[0] == '!') {
			t.negate, w = true, w[1:]
		}
		lw := strings.ToLower(w)
		field, value, hasField := strings.Cut(lw, ":")
		switch {
		case hasField && slices.Contains(textFields, field):
			t.field, t.value = field, cleanString(value)
			if field == "subject" {
				t.value = value // Mailpit does not clean a subject
			}
			if t.value == "" {
				ignored = append(ignored, strconv.Quote(w)) // "to:" alone filters nothing
				continue
			}
		case lw == "is:read" || lw == "is:unread" || lw == "is:tagged" || lw == "has:attachment" || lw == "has:attachments" || lw == "has:inline" || lw == "has:inlines":
			t.field, t.value = field, strings.TrimSuffix(value, "s")
		case hasField && (field == "before" || field == "after"):
			when, ok := parseWhen(cleanString(value), loc)
			if !ok {
				ignored = append(ignored, strconv.Quote(w))
				continue
			}
			t.field, t.when = field, when
		case hasField && (field == "larger" || field == "smaller") && sizeOf(cleanString(value)) > 0:
			t.field, t.size = field, sizeOf(cleanString(value))
		default:
			t.value = cleanString(lw)
		}
		q = append(q, t)
	}
	return q, ignored, nil
}

// byReadStatus reports whether q selects by read status (is:read,
// is:unread), which changes while the message does not.
func (q query) byReadStatus() bool {
	for _, t := range q {
		if t.field == "is" {
			return true
		}
	}
	return false
}

// matches reports whether m satisfies every term of q.
func (q query) matches(m *searchable) bool {
	for _, t := range q {
		if t.match(m) == t.negate {
			return false
		}
	}
	return true
}

func (t term) match(m *searchable) bool {
	switch t.field {
	case "to":
		return strings.Contains(m.to, t.value)
	case "from":
		return strings.Contains(m.from, t.value)
	case "cc":
		return strings.Contains(m.cc, t.value)
	case "bcc":
		return strings.Contains(m.bcc, t.value)
	case "reply-to":
		return strings.Contains(m.replyTo, t.value)
	case "addressed":
		for _, f := range []string{m.to, m.from, m.cc, m.bcc, m.replyTo} {
			if strings.Contains(f, t.value) {
				return true
			}
		}
		return false
	case "subject":
		return strings.Contains(m.subject, t.value)
	case "message-id":
		return strings.Contains(m.messageID, t.value)
	case "tag":
		return slices.ContainsFunc(m.tags, func(tag string) bool { return strings.EqualFold(tag, t.value) })
	case "is":
		switch t.value {
		case "read":
			return m.read
		case "unread":
			return !m.read
		}
		return len(m.tags) > 0 // is:tagged
	case "has":
		if t.value == "inline" {
			return m.inline > 0
		}
		return m.attachments > 0
	case "after":
		return !m.received.Before(t.when)
	case "before":
		return !m.received.After(t.when)
	case "larger":
		return int64(m.size) > t.size
	case "smaller":
		return int64(m.size) < t.size
	default:
		return strings.Contains(m.text, t.value)
	}
}

// splitQuery splits a search into words at spaces outside double quotes,
// and removes the quotes.
func splitQuery(s string) []string {
	var words []string
	var b strings.Builder
	quoted := false
	flush := func() {
		if w := strings.TrimSpace(strings.ReplaceAll(b.String(), `"`, "")); w != "" {
			words = append(words, w)
		}
		b.Reset()
	}
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
			b.WriteRune(r)
		case r == ' ' && !quoted:
			flush()
		default:
			b.WriteRune(r)
		}
	}
	flush()
	return words
}

// cleanString is how Mailpit normalises search text and search words:
// line breaks, tabs, brackets, quotes, commas, semicolons and byte order
// marks become spaces, runs of space one, all lower case. (Mailpit uses a
// regular expression and three more passes; this one pass gives the same,
// several times faster, and the text of every message goes through it.)
func cleanString(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	gap := false // a space is due before the next word
	for _, r := range s {
		switch r {
		case '>', '<', '"', ',', ';', '(', ')', '\uFEFF':
			gap = b.Len() > 0
			continue
		}
		if unicode.IsSpace(r) {
			gap = b.Len() > 0
			continue
		}
		if gap {
			b.WriteByte(' ')
			gap = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

var sizeRe = regexp.MustCompile(`^(\d+)(\.\d+)?\s?([a-z]{1,2})?$`)

// sizeOf reads a size as Mailpit does: bytes, or k/kb, m/mb; 0 if it
// cannot.
func sizeOf(v string) int64 {
	m := sizeRe.FindStringSubmatch(strings.ToLower(v))
	if m == nil {
		return 0
	}
	n, err := strconv.ParseFloat(m[1]+m[2], 64)
	if err != nil {
		return 0
	}
	switch m[3] {
	case "":
		return int64(n)
	case "k", "kb":
		return int64(n * 1024)
	case "m", "mb":
		return int64(n * 1024 * 1024)
	}
	return 0
}

// whenLayouts are the forms a before: or after: date may take: Mailpit
// takes nearly any (it uses a date guesser); these are the unambiguous
// ones.
var whenLayouts = []string{
	time.RFC3339Nano, time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04",
	"2006-01-02", "2006/01/02", "02 Jan 2006", "2 Jan 2006", "Jan 2 2006", "January 2 2006", time.RFC1123Z, time.RFC1123,
}

func parseWhen(v string, loc *time.Location) (time.Time, bool) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 1e9 {
		return time.Unix(n, 0), true // a Unix time
	}
	v = strings.ToUpper(v) // cleanString lower-cased the T and Z of RFC 3339 (month names parse in any case)
	for _, l := range whenLayouts {
		if t, err := time.ParseInLocation(l, v, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
