package web

import (
	"fmt"
	"net/smtp"
	"strings"
	"testing"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/internal/jsonview"
)

// lastID returns the ID of the newest message kept.
func lastID(t *testing.T, srv *smtptest.Server) int {
	t.Helper()
	sums := srv.Summaries()
	if len(sums) == 0 {
		t.Fatal("no message kept")
	}
	return sums[len(sums)-1].ID
}

// TestMailboxStaysBounded: with the web UI open, the stream makes an entry
// for each new message, and a Mailpit client marks each read; retention
// forgets the messages without telling the mailbox. What it keeps must
// follow the record, not the number of messages ever received.
func TestMailboxStaysBounded(t *testing.T) {
	srv, err := smtptest.Start(smtptest.RetainMessages(10, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	mb := newMailbox(srv, jsonview.NewChecks(false, nil), nil, Tagging{})
	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 1500
	for i := range n {
		if err := sendOn(c, "a@example.com", []string{"b@example.org"}, fmt.Sprintf("Subject: %d\r\n\r\nx\r\n", i)); err != nil {
			t.Fatal(err)
		}
		id := lastID(t, srv)
		if _, ok := mb.item(id); !ok {
			t.Fatalf("message %d has no entry", id)
		}
		mb.setRead([]int{id}, true)
	}
	mb.mu.Lock()
	entries, read := len(mb.entries), len(mb.read)
	mb.mu.Unlock()
	if entries > minPrune+1 || read > minPrune+1 {
		t.Errorf("after %d messages, 10 kept: %d entries and %d read marks, want at most %d", n, entries, read, minPrune+1)
	}
	// What is kept is still there, read.
	if it, ok := mb.item(lastID(t, srv)); !ok || !it.read {
		t.Errorf("the newest message: %v read %v", ok, it.read)
	}
	if got := len(mb.list()); got != 10 {
		t.Errorf("list: %d messages, want 10", got)
	}
}

// TestMailboxPrunesOnlyWhatASnapshotProvesGone: a message recorded after a
// pruning's snapshot was taken is missing from it, but not gone; what the
// mailbox learnt of it (its entry, its read mark) must survive that
// pruning, and go with the next one once the message is really gone.
func TestMailboxPrunesOnlyWhatASnapshotProvesGone(t *testing.T) {
	srv, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	mb := newMailbox(srv, jsonview.NewChecks(false, nil), nil, Tagging{})
	send := func() int {
		t.Helper()
		if err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte("Subject: x\r\n\r\nx\r\n")); err != nil {
			t.Fatal(err)
		}
		return lastID(t, srv)
	}
	first := send()
	epoch, sums := mb.snapshot() // a pruning starts: it sees only the first
	second := send()
	mb.setRead([]int{second}, true)
	if _, ok := mb.entry(second); !ok {
		t.Fatal("no entry for the second message")
	}
	kept := map[int]bool{}
	for _, s := range sums {
		kept[s.ID] = true
	}
	if !kept[first] || kept[second] {
		t.Fatalf("snapshot %v", sums)
	}
	mb.mu.Lock()
	mb.pruneLocked(epoch, kept) // the pruning ends
	_, entry := mb.entries[second]
	_, read := mb.read[second]
	mb.mu.Unlock()
	if !entry || !read {
		t.Errorf("pruned what the snapshot could not see: entry %v, read mark %v", entry, read)
	}
	// Gone behind the mailbox's back (as retention or Reset do): the next
	// pruning forgets it.
	srv.DeleteMessages(second)
	mb.prune()
	mb.mu.Lock()
	_, entry = mb.entries[second]
	_, read = mb.read[second]
	mb.mu.Unlock()
	if entry || read {
		t.Errorf("kept what is gone: entry %v, read mark %v", entry, read)
	}
}

// BenchmarkNewEntry: what the web UI's list and the Mailpit API pay once a
// message (a plain 1 KiB one): parse, search text, lint.
func BenchmarkNewEntry(b *testing.B) {
	srv, err := smtptest.Start()
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	body := "From: App <app@example.com>\r\nTo: ann@example.org\r\nSubject: Load\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: <load@example.com>\r\n\r\n"
	for len(body) < 1024 {
		body += "Hello, this is a line of the body of a test message.\r\n"
	}
	if err := smtp.SendMail(srv.Addr(), nil, "app@example.com", []string{"ann@example.org"}, []byte(body)); err != nil {
		b.Fatal(err)
	}
	m := srv.Messages()[0]
	ch := jsonview.NewChecks(false, nil)
	b.ReportAllocs()
	for b.Loop() {
		newEntry(m, ch, Tagging{})
	}
}

// TestMailboxCountsAgainstStoreBytes: what the mailbox keeps of a message
// (its search text, mostly) counts against -max-store-bytes with the
// message's Data: the oldest messages go when both together pass it, and
// what the mailbox kept goes with them; DELETE /api/messages drops it at
// once.
func TestMailboxCountsAgainstStoreBytes(t *testing.T) {
	const limit = 64 << 10
	srv, err := smtptest.Start(smtptest.RetainMessages(0, limit))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	events := newHub()
	mb := newMailbox(srv, jsonview.NewChecks(false, nil), events, Tagging{})
	h := newAPI(srv, mb, newFaultSet(srv), jsonview.NewChecks(false, nil), newHostGuard("127.0.0.1:8025"), events)
	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	text := strings.Repeat("words to search for, ", 400) // 8.4 KB of text: as much search text
	for i := range 20 {
		if err := sendOn(c, "a@example.com", []string{"b@example.org"}, fmt.Sprintf("Subject: %d\r\n\r\n%s\r\n", i, text)); err != nil {
			t.Fatal(err)
		}
		if code, body := get(h, "GET", "/api/v1/messages", nil, ""); code != 200 { // makes the entries
			t.Fatalf("list: %d %s", code, body)
		}
	}
	mb.mu.Lock()
	kept, entries := mb.bytes, len(mb.entries)
	mb.mu.Unlock()
	st := srv.Stats()
	t.Logf("%d messages and %d entries kept: %d bytes of Data, %d of entries (limit %d)", st.KeptMessages, entries, st.KeptBytes, kept, limit)
	if kept+st.KeptBytes > limit {
		t.Errorf("Data %d + entries %d = %d bytes kept; limit %d", st.KeptBytes, kept, kept+st.KeptBytes, limit)
	}
	if st.KeptMessages > 4 || st.KeptMessages < 2 || entries != st.KeptMessages {
		t.Errorf("%d messages and %d entries kept; Data alone would allow 7", st.KeptMessages, entries)
	}
	if code, _ := get(h, "DELETE", "/api/messages", nil, ""); code != 204 {
		t.Fatal(code)
	}
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if len(mb.entries) != 0 || mb.bytes != 0 {
		t.Errorf("after DELETE /api/messages: %d entries, %d bytes", len(mb.entries), mb.bytes)
	}
}
