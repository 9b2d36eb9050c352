package main

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smtptest/smtptest"
)

// analysis takes the server's events off the goroutine that reports them
// and hands them to the output in the order they came, judging and
// formatting each message (lint, DKIM, its line: see printer.render) on a
// bounded pool of workers in between, and printing on a goroutine of its
// own. The server reports events one at a time, on the connection that
// caused them, and its accept loop waits for the report before it greets
// the next client: judging a 30 MiB message there held every other client
// for most of a second, and printing other messages' lines there held
// the reply. Now a report costs a queue append and a wake-up.
//
// Bounds: at most maxPending events wait to be printed, and at most
// maxPendingBytes of message data; past them an event is not printed
// (counted, and said in the summary), as the output's own queue drops
// lines nobody reads. The SMTP reply never waits for any of it.
type analysis struct {
	p       *printer
	render  func(*smtptest.Message) string // p.render; a test's own
	work    chan *pending                  // messages to judge
	workers sync.WaitGroup
	kick    chan struct{} // wakes the printing goroutine; closed by close
	printed chan struct{} // closed when the printing goroutine is done

	// The pool's counters (see stats).
	judged atomic.Int64 // messages judged, on all workers
	busy   atomic.Int64 // nanoseconds the workers spent judging
	waited atomic.Int64 // nanoseconds messages waited for a worker

	mu       sync.Mutex // guards the fields below
	queue    []*pending // in arrival order, not printed yet
	bytes    int        // message data in queue
	dropped  int        // events not printed: past the bounds
	unsaid   int        // of them, not said yet
	maxQueue int        // the longest the queue has been
	closed   bool
	kickDone bool // kick is closed
}

// pending is one event on its way to the output.
type pending struct {
	ev     smtptest.Event
	queued time.Time // when it came (messages only)
	done   bool      // judged (or nothing to judge): ready to print
	text   string    // a message's output, made by a worker; "" for other events
}

const (
	maxPending      = 8192
	maxPendingBytes = 256 << 20
)

// newAnalysis starts the workers and the printing goroutine; close
// stops them.
func newAnalysis(p *printer) *analysis {
	a := &analysis{p: p, render: p.render, work: make(chan *pending, maxPending),
		kick: make(chan struct{}, 1), printed: make(chan struct{})}
	for range runtime.GOMAXPROCS(0) {
		a.workers.Go(func() {
			for pe := range a.work {
				start := time.Now()
				a.waited.Add(int64(start.Sub(pe.queued)))
				text := a.render(pe.ev.Message) // the expensive part, in parallel
				a.busy.Add(int64(time.Since(start)))
				a.judged.Add(1)
				a.mu.Lock()
				pe.text, pe.done = text, true
				a.wakeLocked()
				a.mu.Unlock()
			}
		})
	}
	go func() {
		defer close(a.printed)
		for range a.kick {
			a.drain()
		}
		a.drain() // what the last workers made ready
	}()
	return a
}

// wakeLocked tells the printing goroutine there may be something to
// print; it never waits. a.mu is held.
func (a *analysis) wakeLocked() {
	if a.kickDone {
		return
	}
	select {
	case a.kick <- struct{}{}:
	default: // already told
	}
}

// event takes one event from the server: it never waits for judging or
// printing.
func (a *analysis) event(ev smtptest.Event) {
	if !a.p.prints(ev) {
		return // -quiet: nothing to judge or print, no one to wake
	}
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
	a.maxQueue = max(a.maxQueue, len(a.queue))
	a.bytes += size
	if judge {
		pe.queued = time.Now()
		a.work <- pe // never waits: work holds only queued events, at most maxPending
	}
	a.wakeLocked()
	a.mu.Unlock()
}

// drain prints what is ready at the head of the queue, in order; once it
// is empty, how many events were dropped since it last said so. Only the
// printing goroutine calls it. Messages' lines ready together go to the
// output in one put.
func (a *analysis) drain() {
	var batch strings.Builder
	flush := func() {
		if batch.Len() > 0 {
			a.p.out.put(batch.String())
			batch.Reset()
		}
	}
	defer flush()
	for {
		a.mu.Lock()
		if len(a.queue) == 0 && a.unsaid > 0 {
			n := a.unsaid
			a.unsaid = 0
			a.mu.Unlock()
			flush()
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
		if pe.text != "" {
			batch.WriteString(pe.text)
			if batch.Len() >= writeBatch {
				flush()
			}
		} else {
			flush()
			a.p.event(pe.ev)
		}
	}
}

// analysisStats are the pool's counters: how many messages it judged,
// how busy its workers were, how long messages waited for one, and the
// longest the queue has been.
type analysisStats struct {
	Workers  int
	Judged   int64
	Busy     time.Duration // summed over the workers
	Waited   time.Duration // summed over the messages
	MaxQueue int
	Dropped  int
}

// stats returns the pool's counters.
func (a *analysis) stats() analysisStats {
	a.mu.Lock()
	defer a.mu.Unlock()
	return analysisStats{
		Workers: runtime.GOMAXPROCS(0), Judged: a.judged.Load(),
		Busy: time.Duration(a.busy.Load()), Waited: time.Duration(a.waited.Load()),
		MaxQueue: a.maxQueue, Dropped: a.dropped,
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
	go func() {
		a.workers.Wait()
		a.mu.Lock()
		a.kickDone = true
		close(a.kick)
		a.mu.Unlock()
	}()
	select {
	case <-a.printed:
	case <-ctx.Done():
	}
}
