package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
)

// lineQueue writes lines to a writer from a goroutine of its own, so that
// output nobody reads (a harness that started smtptest with a pipe and
// reads only the ready line) never holds up the server. It holds at most
// maxLines lines and maxBytes bytes; past that, lines are dropped and
// counted, and once the writer has caught up a line says how many were
// lost.
type lineQueue struct {
	w     io.Writer
	lines chan string
	done  chan struct{} // closed when run returns

	mu      sync.Mutex // guards the fields below
	queued  int        // bytes in lines
	dropped int        // lines dropped since the last report
	lost    int        // lines dropped in all
	closed  bool
}

const (
	queueLines = 4096
	queueBytes = 8 << 20
)

func newLineQueue(w io.Writer) *lineQueue {
	q := &lineQueue{w: w, lines: make(chan string, queueLines), done: make(chan struct{})}
	go q.run()
	return q
}

// put queues line (which ends in a newline; several lines may come
// together, and are dropped together); it never blocks.
func (q *lineQueue) put(line string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	if q.queued+len(line) <= queueBytes {
		select {
		case q.lines <- line:
			q.queued += len(line)
			return
		default:
		}
	}
	n := max(1, strings.Count(line, "\n"))
	q.dropped += n
	q.lost += n
}

func (q *lineQueue) run() {
	defer close(q.done)
	var buf []byte
	for line := range q.lines {
		// The lines queued meanwhile go out in the same write, up to
		// writeBatch bytes: a line a write cost a system call a message.
		buf = append(buf[:0], line...)
		open := true
	batch:
		for open && len(buf) < writeBatch {
			select {
			case more, ok := <-q.lines:
				if !ok {
					open = false
					break batch
				}
				buf = append(buf, more...)
			default:
				break batch
			}
		}
		q.mu.Lock()
		q.queued -= len(buf)
		q.mu.Unlock()
		q.w.Write(buf)
		q.mu.Lock()
		n := 0
		if len(q.lines) == 0 && q.dropped > 0 {
			n, q.dropped = q.dropped, 0
		}
		q.mu.Unlock()
		if n > 0 {
			fmt.Fprintf(q.w, "smtptest: %d line(s) of output dropped: it was not read fast enough\n", n)
		}
		if !open {
			return
		}
	}
}

// writeBatch is the most a write of queued lines takes.
const writeBatch = 64 << 10

// dropped returns how many lines were dropped in all.
func (q *lineQueue) droppedLines() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.lost
}

// close stops taking lines and waits, until ctx ends at most, for those
// queued to be written; it reports whether they were.
func (q *lineQueue) close(ctx context.Context) bool {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.lines)
	}
	q.mu.Unlock()
	select {
	case <-q.done:
		return true
	case <-ctx.Done():
		return false
	}
}
