package smtptest_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smtptest/smtptest"
)

// sendN sends n small messages on one session, numbered from first.
func sendN(t *testing.T, srv *smtptest.Server, first, n int) {
	t.Helper()
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	for i := first; i < first+n; i++ {
		c.transaction("a@example.com", []string{"b@example.org"}, fmt.Sprintf("Subject: %d\r\n\r\nbody %d\r\n", i, i))
	}
	c.cmd("QUIT", 221)
}

func TestRetainMessagesByCountAndBytes(t *testing.T) {
	var (
		mu        sync.Mutex
		discarded []int
	)
	onEvent := smtptest.OnEvent(func(ev smtptest.Event) {
		if ev.Kind == smtptest.EventDiscard && ev.Discarded == "message" {
			mu.Lock()
			discarded = append(discarded, ev.MessageID)
			mu.Unlock()
		}
	})
	srv := smtptest.NewServer(t, smtptest.RetainMessages(3, 0), onEvent)
	sendN(t, srv, 1, 5)
	var ids []int
	for _, m := range srv.Messages() {
		ids = append(ids, m.ID)
	}
	if !slices.Equal(ids, []int{3, 4, 5}) {
		t.Errorf("kept IDs %v, want [3 4 5]", ids)
	}
	if st := srv.Stats(); st.Messages != 5 || st.MessageBytes != 5*22 || st.DiscardedMessages != 2 || st.Connections != 1 {
		t.Errorf("Stats() = %+v", st)
	}
	// Forgotten messages still count for waiting.
	if n, err := srv.WaitForMessageCount(context.Background(), 5); err != nil || n != 5 {
		t.Errorf("WaitForMessageCount(5) = %d, %v", n, err)
	}
	if _, ok := srv.MessageByID(1); ok {
		t.Error("MessageByID(1) found a forgotten message")
	}
	if m, ok := srv.MessageByID(4); !ok || !strings.Contains(string(m.Data), "body 4") {
		t.Errorf("MessageByID(4) = %v, %v", m, ok)
	}
	srv.Close()
	mu.Lock()
	if !slices.Equal(discarded, []int{1, 2}) {
		t.Errorf("discard events for %v, want [1 2]", discarded)
	}
	mu.Unlock()

	// By bytes: each message here is 26 or 27 bytes; the newest is kept
	// even when it alone is over the bound.
	srv = smtptest.NewServer(t, smtptest.RetainMessages(0, 60))
	sendN(t, srv, 10, 4)
	if n := len(srv.Messages()); n != 2 {
		t.Errorf("kept %d messages under a 60-byte bound, want 2", n)
	}
	srv = smtptest.NewServer(t, smtptest.RetainMessages(0, 1))
	sendN(t, srv, 1, 2)
	if msgs := srv.Messages(); len(msgs) != 1 || msgs[0].ID != 2 {
		t.Errorf("kept %v, want the newest alone", msgs)
	}
}

func TestMessageIDsOutliveReset(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.Hooks{Deliver: func(m *smtptest.Message) error {
		if strings.Contains(string(m.Data), "refuse me") {
			return fmt.Errorf("no")
		}
		return nil
	}})
	sendN(t, srv, 1, 2)
	srv.Reset()
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.cmd("MAIL FROM:<a@example.com>", 250)
	c.cmd("RCPT TO:<b@example.org>", 250)
	c.cmd("DATA", 354)
	c.write("Subject: refuse me\r\n\r\n.\r\n")
	c.expect(554) // its ID, 3, stays unused
	c.transaction("a@example.com", []string{"b@example.org"}, "Subject: after\r\n\r\n")
	msgs := srv.Messages()
	if len(msgs) != 1 || msgs[0].ID != 4 {
		t.Fatalf("after Reset: %v, want the one message, ID 4", msgs)
	}
	sums := srv.Summaries()
	if len(sums) != 1 || sums[0].ID != 4 || sums[0].Subject != "after" || sums[0].Size != len(msgs[0].Data) ||
		sums[0].From != "a@example.com" || !slices.Equal(sums[0].To, []string{"b@example.org"}) || sums[0].ConnID != 2 {
		t.Errorf("Summaries() = %+v", sums)
	}
	if st := srv.Stats(); st.Messages != 3 || st.Rejections != 1 {
		t.Errorf("Stats() = %+v: Reset must not lower it", st)
	}
}

// TestSummariesAndCopiesAreTheCallers: what Summaries and MessageByID
// return cannot change the record.
func TestSummariesAndCopiesAreTheCallers(t *testing.T) {
	srv := smtptest.NewServer(t)
	sendN(t, srv, 1, 1)
	s := srv.Summaries()
	s[0].To[0] = "changed@example.org"
	m, _ := srv.MessageByID(1)
	m.Data[0] = 'X'
	m.To[0] = "changed@example.org"
	again, _ := srv.MessageByID(1)
	if again.To[0] != "b@example.org" || again.Data[0] != 'S' || srv.Summaries()[0].To[0] != "b@example.org" {
		t.Errorf("the record changed: %v", again)
	}
}

func TestResetForgetsTranscriptsOfClosedConnections(t *testing.T) {
	closed := make(chan int, 10)
	srv := smtptest.NewServer(t, smtptest.OnEvent(func(ev smtptest.Event) {
		if ev.Kind == smtptest.EventClose {
			closed <- ev.ConnID
		}
	}))
	sendN(t, srv, 1, 1)
	<-closed
	open := dial(t, srv, 220)
	open.cmd("EHLO open.example", 250)
	srv.Reset()
	open.cmd("NOOP", 250)
	tr := srv.Transcript()
	if strings.Contains(tr, "conn 1:") || !strings.Contains(tr, "conn 2:") || !strings.Contains(tr, "C: EHLO open.example") {
		t.Errorf("after Reset:\n%s", tr)
	}
}

func TestRetainTranscriptsAndRejections(t *testing.T) {
	var (
		mu     sync.Mutex
		events []string
		closed = make(chan int, 10)
	)
	srv := smtptest.NewServer(t, smtptest.RetainTranscripts(2), smtptest.RetainRejections(3),
		smtptest.OnEvent(func(ev smtptest.Event) {
			switch ev.Kind {
			case smtptest.EventDiscard:
				mu.Lock()
				events = append(events, fmt.Sprintf("%s %d", ev.Discarded, ev.ConnID))
				mu.Unlock()
			case smtptest.EventClose:
				closed <- ev.ConnID
			}
		}))
	for i := range 4 {
		c := dial(t, srv, 220)
		c.cmd(fmt.Sprintf("EHLO c%d.example", i+1), 250)
		c.cmd("VRFY x", 252)
		c.cmd("XYZZ "+strings.Repeat("x", 5000), 500) // a rejection with a long command
		c.cmd("QUIT", 221)
		<-closed // the server is done with it: its transcript is a closed one
	}
	open := dial(t, srv, 220)
	open.cmd("EHLO open.example", 250)
	tr := srv.Transcript()
	for _, want := range []string{"conn 3:", "conn 4:", "conn 5:"} {
		if !strings.Contains(tr, want) {
			t.Errorf("transcript lacks %s:\n%s", want, tr)
		}
	}
	if strings.Contains(tr, "conn 1:") || strings.Contains(tr, "conn 2:") {
		t.Errorf("kept the oldest transcripts:\n%s", tr)
	}
	rejs := srv.Rejections()
	if len(rejs) != 3 || rejs[0].ConnID != 2 {
		t.Errorf("rejections %v, want the last 3", rejs)
	}
	for _, r := range rejs {
		if len(r.Command) > 600 || !strings.HasSuffix(r.Command, "(5005 bytes)") {
			t.Errorf("Command of %d bytes: %.80q", len(r.Command), r.Command)
		}
	}
	st := srv.Stats()
	if st.Connections != 5 || st.Rejections != 4 || st.DiscardedRejections != 1 || st.DiscardedTranscripts != 2 {
		t.Errorf("Stats() = %+v", st)
	}
	srv.Close() // conn 5 closes: the transcript of conn 3 goes
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"rejection 1", "transcript 1", "transcript 2", "transcript 3"}; !sameElements(events, want) {
		t.Errorf("discard events %q, want %q", events, want)
	}
}

func sameElements(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestWaitForMessageCountWakesOnArrival(t *testing.T) {
	srv := smtptest.NewServer(t)
	done := make(chan int)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), ioBound)
		defer cancel()
		n, _ := srv.WaitForMessageCount(ctx, 2)
		done <- n
	}()
	sendN(t, srv, 1, 2)
	if n := <-done; n != 2 {
		t.Errorf("WaitForMessageCount = %d", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if n, err := srv.WaitForMessageCount(ctx, 3); n != 2 || err == nil || !strings.Contains(err.Error(), "got 2 of 3 messages") {
		t.Errorf("WaitForMessageCount(3) = %d, %v", n, err)
	}
}
