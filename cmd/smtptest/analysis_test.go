package main

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smtptest/smtptest"
)

// TestAnalysisKeepsOrderAndNeverWaits: the server's report of an event
// returns at once even while a message is being judged (the accept loop
// waits for it), and the lines come out in the order of the events,
// however long each message takes to judge.
func TestAnalysisKeepsOrderAndNeverWaits(t *testing.T) {
	var out syncBuffer
	p := newPrinter(&out, &out, &config{})
	release := make(chan struct{})
	var once sync.Once
	judged := make(chan int, 10)
	// The workers take their jobs in order; the first to start judging
	// (message 1, the first queued) is held until released.
	slow := func(m *smtptest.Message) {
		if m.ID == 1 {
			once.Do(func() { <-release })
		}
		judged <- m.ID
	}
	p.analysis.render = func(m *smtptest.Message) string { slow(m); return p.render(m) }
	msg := func(id int) smtptest.Event {
		return smtptest.Event{Kind: smtptest.EventMessage, Time: time.Now(), Message: &smtptest.Message{ID: id, Data: []byte("Subject: m\r\n\r\nx\r\n"), Received: time.Now()}}
	}
	rej := smtptest.Event{Kind: smtptest.EventRejection, Time: time.Now(), Rejection: &smtptest.Rejection{Stage: smtptest.StageRcpt, Arg: "x@example.org", Time: time.Now()}}
	for _, ev := range []smtptest.Event{msg(1), rej, msg(2), msg(3)} {
		p.submit(ev) // returns while message 1 is held: else the test hangs here
	}
	// Messages 2 and 3 may be judged meanwhile; none is printed before 1.
	if n := len(judged); n > 2 {
		t.Errorf("%d judged while message 1 was held", n)
	}
	close(release)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p.closeWithin(ctx)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var order []string
	for _, l := range lines {
		switch {
		case strings.Contains(l, "message 1:"):
			order = append(order, "1")
		case strings.Contains(l, "refused"):
			order = append(order, "rejection")
		case strings.Contains(l, "message 2:"):
			order = append(order, "2")
		case strings.Contains(l, "message 3:"):
			order = append(order, "3")
		}
	}
	if strings.Join(order, " ") != "1 rejection 2 3" {
		t.Errorf("printed in the order %v; want 1 rejection 2 3:\n%s", order, out.String())
	}
}

// TestAnalysisBounds: past maxPending events waiting, events are not
// printed but counted, and the summary says so.
func TestAnalysisBounds(t *testing.T) {
	var out syncBuffer
	p := newPrinter(&out, &out, &config{})
	release := make(chan struct{})
	p.analysis.render = func(m *smtptest.Message) string { <-release; return p.render(m) }
	for i := range maxPending + 10 {
		p.submit(smtptest.Event{Kind: smtptest.EventMessage, Time: time.Now(), Message: &smtptest.Message{ID: i + 1, Data: []byte("x\r\n")}})
	}
	if n := p.analysis.droppedEvents(); n != 10 {
		t.Errorf("%d events dropped; want 10", n)
	}
	close(release)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p.closeWithin(ctx)
	if !strings.Contains(out.String(), "10 event(s) not printed: messages came faster than they could be judged") {
		s := out.String()
		t.Errorf("the drop is not said:\n%.300s", s[max(0, len(s)-300):])
	}
}

// TestAnalysisStats: the pool's counters count every message judged,
// the time its workers spent, and the longest queue.
func TestAnalysisStats(t *testing.T) {
	var out syncBuffer
	p := newPrinter(&out, &out, &config{json: true})
	for i := range 50 {
		p.submit(smtptest.Event{Kind: smtptest.EventMessage, Time: time.Now(), Message: &smtptest.Message{ID: i + 1, Data: []byte("Subject: m\r\n\r\nx\r\n"), Received: time.Now()}})
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p.closeWithin(ctx)
	st := p.analysis.stats()
	if st.Judged != 50 || st.Busy <= 0 || st.MaxQueue < 1 || st.Workers < 1 || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
	if n := strings.Count(out.String(), `"event":"message"`); n != 50 {
		t.Errorf("%d message lines; want 50", n)
	}
}

// BenchmarkAnalysis judges and renders b.N messages (1 KiB, as
// bench/vsmailpit sends them) on the pool and reports, from its own
// counters, how many workers were busy on average over the run
// (busy-workers: GOMAXPROCS when nothing serialises the judging) and the
// mean wait for a worker.
func BenchmarkAnalysis(b *testing.B) {
	data := []byte("From: App <app@example.com>\r\nTo: ann@example.org\r\nSubject: Load\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: <load@example.com>\r\n\r\n" + strings.Repeat("x", 900) + "\r\n")
	p := newPrinter(io.Discard, io.Discard, &config{json: true})
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		m := &smtptest.Message{ID: i + 1, Data: data, Received: time.Now(), Envelope: smtptest.Envelope{From: "app@example.com", To: []string{"ann@example.org"}}}
		p.submit(smtptest.Event{Kind: smtptest.EventMessage, Time: m.Received, Message: m})
		if i%1024 == 1023 { // stay within maxPending: wait for the pool now and then
			for p.analysis.stats().Judged < int64(i+1)-maxPending/2 {
				time.Sleep(time.Millisecond)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p.closeWithin(ctx)
	elapsed := time.Since(start)
	st := p.analysis.stats()
	if st.Dropped > 0 {
		b.Fatalf("%d events dropped", st.Dropped)
	}
	b.ReportMetric(float64(st.Busy)/float64(elapsed), "busy-workers")
	b.ReportMetric(float64(st.Waited.Microseconds())/float64(st.Judged), "µs-wait/msg")
}
