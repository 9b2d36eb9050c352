package smtptest_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/internal/follow"
)

func TestShutdownFinishesTransactionsAndEndsIdleSessions(t *testing.T) {
	srv, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	idle := dial(t, srv, 220)
	idle.cmd("EHLO idle.example", 250)

	busy := dial(t, srv, 220)
	busy.cmd("EHLO busy.example", 250)
	busy.cmd("MAIL FROM:<a@example.com>", 250)
	busy.cmd("RCPT TO:<b@example.org>", 250)
	busy.cmd("DATA", 354)
	busy.write("Subject: in flight\r\n\r\nfirst half, ")

	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(context.Background()) }()

	// The idle session is told and closed: Shutdown has begun.
	if text := idle.expect(421); text != "4.3.2 Service shutting down" {
		t.Errorf("idle session got %q", text)
	}
	idle.expectClosed()
	if _, err := net.Dial("tcp", srv.Addr()); err == nil {
		t.Error("a new connection was accepted during Shutdown")
	}

	// The message in flight is received, recorded and acknowledged; then
	// the session, idle, is ended.
	busy.write("second half\r\n.\r\n")
	busy.expect(250)
	busy.expect(421)
	busy.expectClosed()
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if m := srv.Messages(); len(m) != 1 || string(m[0].Data) != "Subject: in flight\r\n\r\nfirst half, second half\r\n" {
		t.Errorf("messages %v", m)
	}
}

// TestShutdownCutsFaultDelays: a transaction held up by the server's own
// delay fault is not a slow client: Shutdown cuts the delay short and the
// message is received, instead of waiting out the delay (or the context)
// and cutting the message off.
func TestShutdownCutsFaultDelays(t *testing.T) {
	srv, err := smtptest.Start(smtptest.Fault{Stage: smtptest.StageData, Delay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := dial(t, srv, 220)
	c.cmd("EHLO delayed.example", 250)
	c.cmd("MAIL FROM:<a@example.com>", 250)
	c.cmd("RCPT TO:<b@example.org>", 250)
	c.write("DATA\r\n") // the server waits an hour before its 354

	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(context.Background()) }()
	c.expect(354) // the delay was cut short
	c.write("Subject: delayed\r\n\r\nbody\r\n.\r\n")
	c.expect(250)
	c.expect(421)
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if m := srv.Messages(); len(m) != 1 {
		t.Errorf("%d messages; want the delayed one", len(m))
	}
	if tr := srv.Transcript(); !strings.Contains(tr, "delay cut short") {
		t.Errorf("the transcript does not say the delay was cut short:\n%s", tr)
	}
}

func TestShutdownGivesUpWhenTheContextEnds(t *testing.T) {
	srv, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	stuck := dial(t, srv, 220)
	stuck.cmd("EHLO stuck.example", 250)
	stuck.cmd("MAIL FROM:<a@example.com>", 250) // a transaction that never ends

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want the context's error", err)
	}
	stuck.expectClosed() // Close ended it
	srv.Close()          // still idempotent
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown after Close = %v", err)
	}
}

func TestOnEvent(t *testing.T) {
	var mu sync.Mutex
	var events []smtptest.Event
	srv := smtptest.NewServer(t, smtptest.RejectRecipient("no@example.org"), smtptest.OnEvent(func(ev smtptest.Event) {
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	}))
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.cmd("MAIL FROM:<a@example.com>", 250)
	c.cmd("RCPT TO:<no@example.org>", 550)
	c.cmd("RCPT TO:<b@example.org>", 250)
	c.cmd("DATA", 354)
	c.write(simpleMsg + ".\r\n")
	c.expect(250)
	c.cmd("QUIT", 221)
	c.expectClosed()
	srv.Close()

	mu.Lock()
	defer mu.Unlock()
	var kinds []string
	for _, ev := range events {
		kinds = append(kinds, ev.Kind.String())
		if ev.ConnID != 1 || ev.Time.IsZero() || !ev.Remote.IsValid() {
			t.Errorf("event %+v lacks its connection, time or address", ev)
		}
	}
	if got := strings.Join(kinds, " "); got != "connect rejection message close" {
		t.Errorf("events %q", got)
	}
	if r := events[1].Rejection; r == nil || r.Arg != "no@example.org" || r.Reply.Code != 550 {
		t.Errorf("rejection event %+v", events[1])
	}
	m := events[2].Message
	if m == nil || string(m.Data) != simpleMsg {
		t.Fatalf("message event %+v", events[2])
	}
	m.Data[0] = 'X'
	if srv.Messages()[0].Data[0] == 'X' {
		t.Error("the event's message is the record's own")
	}
	if _, err := smtptest.Start(smtptest.OnEvent(nil)); err == nil {
		t.Error("OnEvent(nil) accepted")
	}
}

func TestOnEventCallsNeverOverlap(t *testing.T) {
	var inside, overlaps, count int // read after Close, which waits for every call
	srv := smtptest.NewServer(t, smtptest.OnEvent(func(smtptest.Event) {
		inside++ // a data race here, if calls overlapped (the race detector is on)
		if inside > 1 {
			overlaps++
		}
		count++
		inside--
	}))
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sendMail(t, srv, fmt.Sprintf("c%d@example.com", i), []string{"b@example.org"}, simpleMsg)
		}()
	}
	wg.Wait()
	srv.Close()
	if overlaps != 0 || count < 16*3 {
		t.Errorf("%d overlapping calls, %d events", overlaps, count)
	}
}

// TestShutdownDoesNotWaitOutsideTransactions: a client that sent half a
// command line, or that stopped reading its replies, is not in flight:
// Shutdown ends it and returns without waiting for its context.
func TestShutdownDoesNotWaitOutsideTransactions(t *testing.T) {
	srv, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	half := dial(t, srv, 220)
	half.write("EHL") // no CRLF, ever

	// A client that pipelines commands and never reads: the server's
	// replies fill the socket buffers and its write blocks. Once the
	// client's own writes stop going through (a write times out), the
	// server has stopped reading: it is stuck writing.
	deaf := connect(t, srv)
	deaf.nc.(*net.TCPConn).SetReadBuffer(4096)
	lines := []byte(strings.Repeat("NOOP\r\n", 4096))
	for start := time.Now(); ; {
		deaf.nc.SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
		_, err := deaf.nc.Write(lines)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			break
		}
		if err != nil || time.Since(start) > ioBound {
			t.Fatalf("the server never got stuck writing: %v", err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), ioBound)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v, want nil: no transaction was in flight", err)
	}
	if text := half.expect(421); !strings.Contains(text, "shutting down") {
		t.Errorf("half a command line: 421 %q", text)
	}
}

// TestWriteTimeoutEndsAClientThatDoesNotRead checks that WriteTimeout
// covers the writes of a session whose client never reads.
func TestWriteTimeoutEndsAClientThatDoesNotRead(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WriteTimeout(200*time.Millisecond))
	c := connect(t, srv)
	c.nc.(*net.TCPConn).SetReadBuffer(4096)
	lines := []byte(strings.Repeat("NOOP\r\n", 4096))
	c.nc.SetWriteDeadline(time.Now().Add(ioBound))
	var err error
	for err == nil {
		_, err = c.nc.Write(lines) // fails once the server has closed
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server never closed the connection: %v", err)
	}
	srv.Close()
	if tr := srv.Transcript(); !strings.Contains(tr, "i/o timeout") {
		t.Errorf("transcript lacks the write timeout:\n%.3000s", tr)
	}
}

// TestFollow: a follower (internal/follow, the web package's way in) is
// told of every event from when it starts, after the OnEvent function,
// with or without one; after stop returns it is told of nothing more.
func TestFollow(t *testing.T) {
	for _, withOnEvent := range []bool{false, true} {
		var (
			mu    sync.Mutex
			order []string
		)
		note := func(who string, ev smtptest.Event) {
			mu.Lock()
			defer mu.Unlock()
			order = append(order, who+" "+ev.Kind.String())
		}
		var opts []smtptest.Option
		if withOnEvent {
			opts = append(opts, smtptest.OnEvent(func(ev smtptest.Event) { note("OnEvent", ev) }))
		}
		srv := smtptest.NewServer(t, opts...)
		var got []smtptest.Event
		stop := follow.Events(srv, func(ev any) {
			note("follower", ev.(smtptest.Event))
			got = append(got, ev.(smtptest.Event)) // calls never overlap
		})
		// A message event is made before the 250: sendMail has it told.
		sendMail(t, srv, "app@example.com", []string{"ann@example.org"}, "Subject: one\r\n\r\nx\r\n")
		stop()
		sendMail(t, srv, "app@example.com", []string{"ann@example.org"}, "Subject: two\r\n\r\nx\r\n")
		var subjects []string
		for _, ev := range got {
			if ev.Kind == smtptest.EventMessage {
				s, _ := ev.Message.Subject()
				subjects = append(subjects, s)
			}
		}
		if len(got) == 0 || got[0].Kind != smtptest.EventConnect || !slices.Equal(subjects, []string{"one"}) {
			t.Errorf("with OnEvent %v: the follower got %v, messages %q; want a connect first and message one alone (nothing after stop)", withOnEvent, got, subjects)
		}
		mu.Lock()
		if withOnEvent && (len(order) < 2 || order[0] != "OnEvent connect" || order[1] != "follower connect") {
			t.Errorf("order %v: OnEvent first, then the follower", order)
		}
		mu.Unlock()
	}
}
