package main

import (
	"context"
	"runtime"
	"sync"

	"github.com/smtptest/smtptest"
)

// analysis takes the server's events off the goroutine that reports them
// and hands them to the printer in the order they came, judging each
// message (lint, DKIM: see checks.judge) on a bounded pool of workers in
// between. The server reports events one at a time, on the connection
// that caused them, and its accept loop waits for the report before it
// greets the next client: judging a 30 MiB message there held every
// other client for most of a second. Now a report costs a queue append.
//
// Bounds: at most maxPending events wait to be printed, and at most
// maxPendingBytes of message data; past them an event is not printed
// (counted, and said in the summary), as the output's own queue drops
// lines nobody reads. The SMTP reply never waits for any of it.
type analysis struct {
	p       *printer
	judge   func(*smtptest.Message) // p.judge; a test's own
	work    chan *pending           // messages to judge
	workers sync.WaitGroup

	mu      sync.Mutex // guards the fields below
	queue   []*pending // in arrival order, not printed yet
	bytes   int        // message data in queue
	dropped int        // events not printed: past the bounds
	unsaid  int        // of them, not said yet
	closed  bool

	printing sync.Mutex // held while printing, so that lines keep their order
}

// pending is one event on its way to the printer.
type pending struct {
	ev   smtptest.Event
	done bool // judged (or nothing to judge): ready to print
}

const (
	maxPending      = 8192
	maxPendingBytes = 256 << 20
)

// newAnalysis starts the workers; close stops them.
func newAnalysis(p *printer) *analysis {
	a := &analysis{p: p, judge: p.judge, work: make(chan *pending, maxPending)}
	for range runtime.GOMAXPROCS(0) {
		a.workers.Go(func() {
			for pe := range a.work {
				a.judge(pe.ev.Message) // the expensive part, in parallel
				a.mu.Lock()
				pe.done = true
				a.mu.Unlock()
				a.flush()
			}
		})
	}
	return a
}

// event takes one event from the server: it never waits for judging or
// printing.
func (a *analysis) event(ev smtptest.Event) {
	pe := &pending{ev: ev}
	judge := ev.Kind == smtptest.EventMessage && a.p.judges()
	a.mu.Lock()
	size := 0
	if ev.Kind == smtptest.EventMessage {
		size = len(ev.Message.Data)
	}
	if a.closed || len(a.queue) >= maxPending || (size > 0 && a.bytes+size > maxPendingBytes && len(a.queue) > 0) {
		a.dropped++
		a.unsaid++
		a.mu.Unlock()
		return
	}
	pe.done = !judge
	a.queue = append(a.queue, pe)
	a.bytes += size
	if judge {
		a.work <- pe // never waits: work holds only queued events, at most maxPending
	}
	a.mu.Unlock()
	a.flush()
}

// flush prints the events at the head of the queue that are ready, in
// order; once it is empty, how many events were dropped since it last
// said so. If another goroutine is printing, flush returns at once: that
// one prints what is ready when it is done (the server's report of an
// event must not wait for a long line to be formatted).
func (a *analysis) flush() {
	for a.printing.TryLock() {
		a.drain()
		a.printing.Unlock()
		// An event made ready while this one held the lock found it
		// taken and left it here.
		a.mu.Lock()
		again := len(a.queue) > 0 && a.queue[0].done
		a.mu.Unlock()
		if !again {
			return
		}
	}
}

// drain prints what is ready at the head of the queue. a.printing is
// held.
func (a *analysis) drain() {
	for {
		a.mu.Lock()
		if len(a.queue) == 0 && a.unsaid > 0 {
			n := a.unsaid
			a.unsaid = 0
			a.mu.Unlock()
			a.p.errorf("%d event(s) not printed: messages came faster than they could be judged (lint, DKIM)", n)
			continue
		}
		if len(a.queue) == 0 || !a.queue[0].done {
			a.mu.Unlock()
			return
		}
		pe := a.queue[0]
		a.queue[0] = nil
		a.queue = a.queue[1:]
		if pe.ev.Kind == smtptest.EventMessage {
			a.bytes -= len(pe.ev.Message.Data)
		}
		a.mu.Unlock()
		a.p.event(pe.ev)
	}
}

// droppedEvents is how many events were not printed: the analysis fell
// more than maxPending events (or maxPendingBytes) behind.
func (a *analysis) droppedEvents() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.dropped
}

// close takes no more events, and waits until ctx ends at most for the
// ones queued to be judged and printed.
func (a *analysis) close(ctx context.Context) {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return
	}
	a.closed = true
	close(a.work)
	a.mu.Unlock()
	done := make(chan struct{})
	go func() { a.workers.Wait(); a.flush(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
