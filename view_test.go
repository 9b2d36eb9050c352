package smtptest

import (
	"net/smtp"
	"strings"
	"sync"
	"testing"
)

// TestViewParsesOnce: the subject of a recorded message is parsed once,
// however many times and from however many goroutines Summaries and
// Subject are called; a copy from Messages is parsed once more (its own
// view); Header hands out a header the caller may change.
func TestViewParsesOnce(t *testing.T) {
	srv, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	big := "X-Big: " + strings.Repeat("x", 70) + strings.Repeat("\r\n "+strings.Repeat("y", 70), 1000) + "\r\n"
	msg := "From: a@example.com\r\nTo: b@example.org\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: <v1@example.com>\r\n" + big + "\r\nbody\r\n"
	if err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	before := headerParses.Load()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				if s := srv.Summaries(); len(s) != 1 || s[0].Subject != "café" {
					t.Errorf("Summaries = %+v", s)
				}
			}
		})
	}
	wg.Wait()
	if n := headerParses.Load() - before; n != 1 {
		t.Errorf("80 Summaries parsed the header %d times; want 1", n)
	}

	m := srv.Messages()[0]
	for range 5 {
		h, err := m.Header()
		if err != nil || h.Get("Message-Id") != "<v1@example.com>" {
			t.Fatalf("Header = %v, %v", h.Get("Message-Id"), err)
		}
		h.Set("Message-Id", "<changed@example.com>") // the caller's copy
	}
	before = headerParses.Load()
	for range 5 {
		if s, err := m.Subject(); s != "café" || err != nil {
			t.Errorf("Subject = %q, %v", s, err)
		}
	}
	if n := headerParses.Load() - before; n != 1 {
		t.Errorf("a copy's Subject, 5 times, parsed %d times; want 1", n)
	}

	// Data replaced: the accessors read the new bytes, every time.
	m.Data = []byte("Subject: other\r\n\r\n")
	if s, _ := m.Subject(); s != "other" {
		t.Errorf("after Data was replaced, Subject = %q; want other", s)
	}
	// A Message made by hand has no view: parsed on each call, correct.
	hand := &Message{Data: []byte("Subject: by hand\r\n\r\n")}
	if s, _ := hand.Subject(); s != "by hand" {
		t.Errorf("Subject = %q", s)
	}
}
