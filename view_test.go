package smtptest

import (
	"bytes"
	"net/smtp"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/smtptest/smtptest/lint"
)

// TestViewParsesOnce: the subject of a recorded message is parsed once,
// however many times and from however many goroutines Summaries and
// Subject are called; a copy from Messages is parsed once more (its own
// view), for Header and Subject together; Header hands out a header the
// caller may change.
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
	before = headerParses.Load()
	for range 5 {
		h, err := m.Header()
		if err != nil || h.Get("Message-Id") != "<v1@example.com>" {
			t.Fatalf("Header = %v, %v", h.Get("Message-Id"), err)
		}
		h.Set("Message-Id", "<changed@example.com>") // the caller's copy
		if s, err := m.Subject(); s != "café" || err != nil {
			t.Errorf("Subject = %q, %v", s, err)
		}
	}
	if n := headerParses.Load() - before; n != 1 {
		t.Errorf("a copy's Header and Subject, 5 times each, parsed %d times; want 1", n)
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

// TestEveryAccessorParsesOnce: on one copy of a message, every accessor,
// called again and again from several goroutines, costs one parse of the
// header and one walk of the MIME tree, and answers as a Message made by
// hand (which has no view and parses on every call) does; what a caller
// may change (the header, the attachments' data, the slices) is its own.
func TestEveryAccessorParsesOnce(t *testing.T) {
	srv, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	msg := "From: a@example.com\r\nTo: b@example.org\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n" +
		"Message-ID: <v2@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n" +
		"--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee https://example.com/t\r\n" +
		"--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<a href=\"https://example.com/h\">h</a>\r\n--a--\r\n" +
		"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=r.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--b--\r\n"
	if err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	m := srv.Messages()[0]
	hand := &Message{Data: bytes.Clone(m.Data), MailOptions: m.MailOptions}

	type answers struct {
		Header, Subject, Text, HTML string
		Atts                        []Attachment
		Links                       []string
		Lint                        []lint.Problem
		Errs                        []error
	}
	read := func(m *Message) answers {
		var a answers
		var err error
		h, err := m.Header()
		a.Header, a.Errs = h.Get("Message-Id"), append(a.Errs, err)
		a.Subject, err = m.Subject()
		a.Errs = append(a.Errs, err)
		a.Text, err = m.TextBody()
		a.Errs = append(a.Errs, err)
		a.HTML, err = m.HTMLBody()
		a.Errs = append(a.Errs, err)
		a.Atts, err = m.Attachments()
		a.Errs = append(a.Errs, err)
		a.Links, err = m.Links()
		a.Errs = append(a.Errs, err)
		a.Lint = m.Lint()
		_ = m.String()
		_ = m.Summary()
		return a
	}
	want := read(hand)
	if want.Subject != "café" || len(want.Atts) != 1 || len(want.Links) != 2 || want.Text == "" || want.HTML == "" {
		t.Fatalf("the message by hand reads %+v", want)
	}

	headers, walks := headerParses.Load(), treeWalks.Load()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 5 {
				got := read(m)
				if diff := cmp.Diff(want, got, cmpopts.EquateErrors()); diff != "" {
					t.Errorf("a copy answers otherwise than a message by hand (-hand +copy):\n%s", diff)
					return
				}
				// What the caller gets is its own.
				got.Atts[0].Data[0] = 'X'
				got.Links[0] = "changed"
			}
		})
	}
	wg.Wait()
	if n := headerParses.Load() - headers; n != 1 {
		t.Errorf("40 rounds of every accessor parsed the header %d times; want 1", n)
	}
	if n := treeWalks.Load() - walks; n != 1 {
		t.Errorf("40 rounds of every accessor walked the MIME tree %d times; want 1", n)
	}
}
