package web

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/internal/jsonview"
)

// mailbox is what the Mailpit API keeps beside the server's record: which
// messages were read, and each message's Mailpit summary and search
// fields, made the first time a request needs them (a recorded message
// never changes) and dropped when the message is gone.
//
// Messages also go without the mailbox being told (retention, Reset), so
// what it keeps is pruned against a snapshot of the record whenever it has
// grown to twice what it kept after the last pruning: it stays within a
// small multiple of the messages kept, at a cost spread over the entries
// made. A snapshot proves a message gone only if it was taken after the
// mailbox learnt of the message, so each entry and read mark carries the
// epoch it was made in, and a pruning forgets only what is older than its
// snapshot.
type mailbox struct {
	srv     *smtptest.Server
	checks  *jsonview.Checks
	hub     *hub // told of deletions
	tagging Tagging
	started time.Time

	// limit is the server's -max-store-bytes (0: none). What the mailbox
	// keeps of a message counts against it with the message's Data: when
	// both together pass it, the oldest messages that have entries are
	// deleted.
	limit int64

	mu      sync.Mutex     // guards the fields below
	read    map[int]uint64 // the messages read, with the epoch each was marked in
	entries map[int]*entry
	// tagged are the tags set through the API (by message), in place of
	// those the message arrived with; spelling is how each tag is
	// written, by its lower case (the first spelling seen).
	tagged   map[int]taggedAt
	spelling map[string]string
	bytes    int64  // the cost of the entries
	order    []int  // the IDs of the entries, oldest first (some may be gone)
	deleted  int    // messages deleted through the API
	evicted  int    // messages deleted to stay within limit
	epoch    uint64 // advanced by each snapshot taken for pruning
	pruneAt  int    // prune when read or entries hold more than this
}

// minPrune is the least pruneAt: small mailboxes are never pruned.
const minPrune = 256

func newMailbox(srv *smtptest.Server, ch *jsonview.Checks, h *hub, tg Tagging) *mailbox {
	return &mailbox{srv: srv, checks: ch, hub: h, tagging: tg, started: time.Now(), limit: srv.Config().RetainMessageBytes,
		read: map[int]uint64{}, entries: map[int]*entry{}, tagged: map[int]taggedAt{}, spelling: map[string]string{}, pruneAt: minPrune}
}

// entry is one message as Mailpit lists and searches it.
type entry struct {
	summary          mpSummary  // Read is filled in per request
	search           searchable // read is filled in per request
	problems, errors int        // lint problems (for the web UI), and how many are errors
	dkim             string     // "" unsigned, "verified" (a signature verified), "failed"
	tags             []string   // what it arrived with (see Tagging); the API may set others
	epoch            uint64     // the mailbox's epoch when it was made
	cost             int64      // about the bytes it takes
}

// item is an entry with its read status and tags at the time of the
// request.
type item struct {
	*entry
	read bool
	tags []string
}

// list returns the messages kept, newest first, and prunes the rest.
func (mb *mailbox) list() []item {
	epoch, sums := mb.snapshot()
	out := make([]item, 0, len(sums))
	kept := make(map[int]bool, len(sums))
	for i := len(sums) - 1; i >= 0; i-- {
		id := sums[i].ID
		kept[id] = true
		if e, ok, _ := mb.entryOnly(id); ok {
			out = append(out, item{entry: e})
		} // else deleted or forgotten since Summaries
	}
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.pruneLocked(epoch, kept)
	for i := range out {
		id := out[i].summary.id
		_, out[i].read = mb.read[id]
		out[i].tags = mb.tagsOfLocked(id, out[i].entry)
	}
	return out
}

// snapshot takes the record's summaries for a pruning, in a new epoch:
// what the mailbox learnt before it and is not in them is gone.
func (mb *mailbox) snapshot() (uint64, []smtptest.Summary) {
	mb.mu.Lock()
	mb.epoch++
	epoch := mb.epoch
	mb.mu.Unlock()
	return epoch, mb.srv.Summaries()
}

// entry returns the entry of message id, made if it is not yet, and
// prunes the mailbox if it is full.
func (mb *mailbox) entry(id int) (*entry, bool) {
	e, ok, full := mb.entryOnly(id)
	if full {
		mb.prune()
	}
	return e, ok
}

// entryOnly is entry without the pruning, for list, which prunes once at
// its end: it reports whether the mailbox is full.
func (mb *mailbox) entryOnly(id int) (e *entry, ok, full bool) {
	mb.mu.Lock()
	e, ok = mb.entries[id]
	mb.mu.Unlock()
	if ok {
		return e, true, false
	}
	m, found := mb.srv.MessageByID(id)
	if !found {
		return nil, false, false
	}
	e = newEntry(m, mb.checks, mb.tagging)
	mb.mu.Lock()
	if old, ok := mb.entries[id]; ok { // made meanwhile by another request
		mb.mu.Unlock()
		return old, true, false
	}
	e.epoch = mb.epoch
	mb.entries[id] = e
	mb.bytes += e.cost
	mb.order = append(mb.order, id)
	full = len(mb.entries) > mb.pruneAt
	evict := mb.overLocked(id)
	mb.mu.Unlock()
	if len(evict) > 0 {
		mb.srv.DeleteMessages(evict...)
		if mb.hub != nil {
			mb.hub.publishJSON("deleted", deletedJSON{IDs: evict})
		}
	}
	return e, true, full
}

// overLocked drops the entries of the oldest messages while what the
// mailbox keeps and the record's Data together pass limit, and returns
// their IDs, for the caller to delete from the record once mb.mu is
// released. The entry of keep (the newest) stays. mb.mu is held.
func (mb *mailbox) overLocked(keep int) []int {
	if mb.limit <= 0 {
		return nil
	}
	st := mb.srv.Stats()
	over := mb.bytes + st.KeptBytes - mb.limit
	kept := st.KeptMessages
	var evict []int
	for over > 0 && kept > 1 && len(mb.order) > 0 && mb.order[0] != keep {
		id := mb.order[0]
		mb.order = mb.order[1:]
		e, ok := mb.entries[id]
		if !ok {
			continue
		}
		over -= e.cost + int64(e.summary.Size)
		mb.dropLocked(id)
		evict = append(evict, id)
		kept--
	}
	mb.evicted += len(evict)
	if len(mb.order) > 2*len(mb.entries)+minPrune { // IDs of entries gone some other way
		mb.order = slices.DeleteFunc(mb.order, func(id int) bool { _, ok := mb.entries[id]; return !ok })
	}
	return evict
}

// dropLocked forgets the entry and read mark of message id. mb.mu is
// held.
func (mb *mailbox) dropLocked(id int) {
	if e, ok := mb.entries[id]; ok {
		mb.bytes -= e.cost
		delete(mb.entries, id)
	}
	delete(mb.read, id)
	delete(mb.tagged, id)
}

// forget forgets what the mailbox keeps of message id, which the record
// forgot (retention).
func (mb *mailbox) forget(id int) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.dropLocked(id)
}

// prune forgets what the mailbox keeps of messages the record no longer
// has.
func (mb *mailbox) prune() {
	epoch, sums := mb.snapshot()
	kept := make(map[int]bool, len(sums))
	for _, s := range sums {
		kept[s.ID] = true
	}
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.pruneLocked(epoch, kept)
}

// pruneLocked forgets what was learnt before epoch of messages not in
// kept, and sets when to prune next. mb.mu must be held.
func (mb *mailbox) pruneLocked(epoch uint64, kept map[int]bool) {
	for id, e := range mb.entries {
		if !kept[id] && e.epoch < epoch {
			mb.bytes -= e.cost
			delete(mb.entries, id)
		}
	}
	for id, marked := range mb.read {
		if !kept[id] && marked < epoch {
			delete(mb.read, id)
		}
	}
	inUse := map[string]bool{}
	for id, set := range mb.tagged {
		if !kept[id] && set.epoch < epoch {
			delete(mb.tagged, id)
			continue
		}
		for _, t := range set.tags {
			inUse[strings.ToLower(t)] = true
		}
	}
	for _, e := range mb.entries {
		for _, t := range e.tags {
			inUse[strings.ToLower(t)] = true
		}
	}
	for k := range mb.spelling {
		if !inUse[k] {
			delete(mb.spelling, k) // a tag no message has: the next to use it spells it
		}
	}
	mb.pruneAt = max(minPrune, 2*max(len(mb.entries), len(mb.read), len(mb.tagged)))
}

// item returns message id as a list shows it.
func (mb *mailbox) item(id int) (item, bool) {
	e, ok := mb.entry(id)
	if !ok {
		return item{}, false
	}
	mb.mu.Lock()
	defer mb.mu.Unlock()
	_, read := mb.read[id]
	return item{entry: e, read: read, tags: mb.tagsOfLocked(id, e)}, true
}

// search returns the messages q selects, newest first.
func (mb *mailbox) search(q query) []item { return filter(mb.list(), q) }

// filter returns the items q selects.
func filter(items []item, q query) []item {
	out := []item{}
	for _, it := range items {
		s := it.search
		s.read, s.tags = it.read, it.tags
		if q.matches(&s) {
			out = append(out, it)
		}
	}
	return out
}

// setRead marks the messages with these IDs read or unread.
func (mb *mailbox) setRead(ids []int, read bool) {
	mb.mu.Lock()
	for _, id := range ids {
		if read {
			mb.read[id] = mb.epoch
		} else {
			delete(mb.read, id)
		}
	}
	full := len(mb.read) > mb.pruneAt
	mb.mu.Unlock()
	if full {
		mb.prune()
	}
}

// delete forgets the messages with these IDs.
func (mb *mailbox) delete(ids []int) {
	n := mb.srv.DeleteMessages(ids...)
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.deleted += n
	for _, id := range ids {
		mb.dropLocked(id)
	}
	if mb.hub != nil {
		mb.hub.publishJSON("deleted", deletedJSON{IDs: ids})
	}
}

// ids returns the IDs of items.
func ids(items []item) []int {
	out := make([]int, len(items))
	for i, it := range items {
		out[i] = it.summary.id
	}
	return out
}

// mpSummary is a message in a Mailpit list (MessageSummary).
type mpSummary struct {
	id          int
	ID          string
	MessageID   string
	Read        bool
	From        *mail.Address
	To          []*mail.Address
	Cc          []*mail.Address
	Bcc         []*mail.Address
	ReplyTo     []*mail.Address
	Subject     string
	Created     time.Time
	Username    string
	Tags        []string
	Size        int
	Attachments int
	Snippet     string
}

// mpAttachment is a part of a message, as Mailpit describes one.
type mpAttachment struct {
	PartID      string
	FileName    string
	ContentType string
	ContentID   string
	Size        int
	Checksums   struct{ MD5, SHA1, SHA256 string }
}

// headerFacts is what a message's header says, as Mailpit reads it.
type headerFacts struct {
	messageID, subject       string
	from                     *mail.Address
	to, cc, bcc, replyTo     []*mail.Address
	returnPath               string
	date                     time.Time
	listUnsub, listUnsubPost string
	raw                      map[string]string // the fields the search text takes, as written
}

// readHeader reads m's header the way Mailpit does: addresses parsed
// (an unparsable From kept as a name), envelope recipients missing from
// To, Cc and Bcc added to Bcc (as Mailpit adds them), the Return-Path the
// envelope's sender when the header has none.
func readHeader(m *smtptest.Message) headerFacts {
	h, _ := m.Header()
	f := headerFacts{raw: map[string]string{}}
	list := func(key string) []*mail.Address {
		out := []*mail.Address{}
		addrs, _ := h.AddressList(key)
		for _, a := range addrs {
			out = append(out, &mail.Address{Name: a.Name, Address: a.Address})
		}
		return out
	}
	f.to, f.cc, f.bcc, f.replyTo = list("To"), list("Cc"), list("Bcc"), list("Reply-To")
	if from := list("From"); len(from) > 0 {
		f.from = from[0]
	} else if raw := h.Get("From"); raw != "" {
		f.from = &mail.Address{Name: raw}
	} else {
		f.from = &mail.Address{}
	}
	seen := map[string]bool{}
	for _, a := range slices.Concat(f.to, f.cc, f.bcc) {
		seen[strings.ToLower(a.Address)] = true
	}
	for _, rcpt := range m.To {
		if !seen[strings.ToLower(rcpt)] {
			seen[strings.ToLower(rcpt)] = true
			f.bcc = append(f.bcc, &mail.Address{Address: rcpt})
		}
	}
	f.messageID = strings.Trim(strings.TrimSpace(h.Get("Message-Id")), "<>")
	f.subject, _ = m.Subject()
	f.returnPath = strings.Trim(strings.TrimSpace(h.Get("Return-Path")), "<>")
	if f.returnPath == "" {
		f.returnPath = m.From
	}
	if d, err := h.Date(); err == nil && !d.IsZero() {
		f.date = d
	} else {
		f.date = m.Received // as Mailpit: no (or a bad) Date, the time received
	}
	f.listUnsub, _ = h.Text("List-Unsubscribe")
	f.listUnsubPost, _ = h.Text("List-Unsubscribe-Post")
	for _, k := range []string{"From", "Subject", "To", "Cc", "Bcc", "Reply-To", "Return-Path"} {
		f.raw[k], _ = h.Text(k)
	}
	return f
}

// bodies returns m's text and HTML, the text made from the HTML when
// there is none (as Mailpit does), and its parts split as Mailpit splits
// them: attachments, and inline parts (marked inline, or with a
// Content-ID and no disposition). Parts with neither a name nor a
// Content-ID are left out, as Mailpit leaves them out.
func bodies(m *smtptest.Message) (text, htmlBody string, attachments, inline []mpAttachment, parts []smtptest.Attachment) {
	text, _ = m.TextBody()
	htmlBody, _ = m.HTMLBody()
	if text == "" && htmlBody != "" {
		text = htmlText(htmlBody)
	}
	attachments, inline = []mpAttachment{}, []mpAttachment{}
	parts, _ = m.Attachments()
	for _, p := range parts {
		if p.Filename == "" && p.ContentID == "" {
			continue
		}
		a := mpAttachment{PartID: p.Part, FileName: p.Filename, ContentType: p.ContentType, ContentID: p.ContentID, Size: len(p.Data)}
		if a.FileName == "" {
			a.FileName = p.ContentID
		}
		md, s1, s256 := md5.Sum(p.Data), sha1.Sum(p.Data), sha256.Sum256(p.Data)
		a.Checksums.MD5, a.Checksums.SHA1, a.Checksums.SHA256 = hex.EncodeToString(md[:]), hex.EncodeToString(s1[:]), hex.EncodeToString(s256[:])
		if p.Disposition == "inline" || (p.Disposition == "" && p.ContentID != "") {
			inline = append(inline, a)
		} else {
			attachments = append(attachments, a)
		}
	}
	return text, htmlBody, attachments, inline, parts
}

// newEntry makes the Mailpit summary and search fields of m, and what
// the web UI's list shows of its lint and DKIM results.
func newEntry(m *smtptest.Message, ch *jsonview.Checks, tg Tagging) *entry {
	f := readHeader(m)
	text, htmlBody, attachments, inline, _ := bodies(m)
	e := &entry{
		summary: mpSummary{
			id: m.ID, ID: strconv.Itoa(m.ID), MessageID: f.messageID, From: f.from, To: f.to, Cc: f.cc, Bcc: f.bcc, ReplyTo: f.replyTo,
			Subject: f.subject, Created: m.Received, Username: m.AuthUser, Tags: []string{}, Size: len(m.Data),
			Attachments: len(attachments), Snippet: snippet(text, htmlBody),
		},
	}
	addrs := func(a any) string {
		b, _ := json.Marshal(a)
		return strings.ToLower(string(b))
	}
	var st strings.Builder
	for _, k := range []string{"From", "Subject", "To", "Cc", "Bcc", "Reply-To", "Return-Path"} {
		st.WriteString(f.raw[k] + " ")
	}
	if htmlBody != "" {
		st.WriteString(htmlText(htmlBody) + " ")
	} else {
		st.WriteString(text + " ")
	}
	for _, a := range attachments {
		st.WriteString(a.FileName + " ")
	}
	problems, sigs := ch.Judge(m)
	for _, p := range problems {
		e.problems++
		if p.Severity == "error" {
			e.errors++
		}
	}
	for _, r := range sigs {
		if r.Verified {
			e.dkim = "verified"
			break
		}
		e.dkim = "failed"
	}
	e.search = searchable{
		from: addrs(f.from), to: addrs(f.to), cc: addrs(f.cc), bcc: addrs(f.bcc), replyTo: addrs(f.replyTo),
		subject: strings.ToLower(f.subject), messageID: strings.ToLower(f.messageID), text: cleanString(st.String()),
		attachments: len(attachments), inline: len(inline), received: m.Received, size: len(m.Data),
	}
	e.tags = autoTags(m, f, tg)
	e.cost = entryCost(e)
	return e
}

// entryCost is about the bytes e takes: its strings, and a fixed part
// for the rest.
func entryCost(e *entry) int64 {
	n := 512 + len(e.summary.Subject) + len(e.summary.MessageID) + len(e.summary.Snippet)
	for _, s := range []string{e.search.from, e.search.to, e.search.cc, e.search.bcc, e.search.replyTo, e.search.subject, e.search.messageID, e.search.text} {
		n += len(s)
	}
	for _, list := range [][]*mail.Address{{e.summary.From}, e.summary.To, e.summary.Cc, e.summary.Bcc, e.summary.ReplyTo} {
		for _, a := range list {
			if a != nil {
				n += 64 + len(a.Name) + len(a.Address)
			}
		}
	}
	return int64(n)
}
