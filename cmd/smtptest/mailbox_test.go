package main

import (
	"fmt"
	"net/smtp"
	"testing"

	"github.com/smtptest/smtptest"
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
	mb := newMailbox(srv, newChecks(false, nil), nil)
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
	mb := newMailbox(srv, newChecks(false, nil), nil)
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
	ch := newChecks(false, nil)
	b.ReportAllocs()
	for b.Loop() {
		newEntry(m, ch)
	}
}
