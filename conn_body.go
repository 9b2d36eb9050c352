package smtptest

import (
	"io"
)

// readBody gives go-smtp the body bytes of a DATA command or a BDAT chunk,
// never more: what follows them is the next command.
func (c *conn) readBody(p []byte) (int, error) {
	if c.mode == modeBDAT && int64(len(p)) > c.bdatLeft {
		p = p[:c.bdatLeft]
	}
	var (
		n      int
		err    error
		direct = c.r == c.w && len(p) >= 4096
	)
	if direct {
		// Nothing buffered: read straight into go-smtp's buffer.
		n, err = c.readNet(p)
	} else {
		if c.r == c.w {
			err = c.fill()
		}
		n = copy(p, c.in[c.r:c.w])
		c.r += n
	}
	if err != nil {
		// The body is cut short. Never io.EOF: go-smtp copies a BDAT chunk
		// with io.Copy, which would take it for the chunk's end and pass a
		// truncated message to Session.Data.
		c.bodyEnded(false)
		return 0, io.ErrUnexpectedEOF
	}

	end := false
	if c.mode == modeData {
		var k int
		_, k, end = c.dot.Unstuff(nil, p[:n])
		if k < n {
			// Bytes after the end of the body: keep them for the next command.
			if direct {
				c.keep(p[k:n])
			} else {
				c.r -= n - k
			}
			n = k
		}
	} else {
		c.bdatLeft -= int64(n)
		end = c.bdatLeft == 0
	}
	c.noteHead(p[:n])
	if !c.countBody(n, end) {
		return 0, io.EOF
	}
	return n, nil
}

// noteHead keeps the first bytes of a body (raw, before unstuffing) for
// the transcript.
func (c *conn) noteHead(raw []byte) {
	if c.headLen < len(c.head) {
		c.headLen += copy(c.head[c.headLen:], raw)
	}
}

// countBody counts n raw bytes of a body as they arrive; end says they hold
// its end. It drops the connection if a fault asked for that after so many
// bytes, and reports false then.
func (c *conn) countBody(n int, end bool) bool {
	if c.dropLeft > 0 {
		if c.dropLeft -= int64(n); c.dropLeft <= 0 || end {
			c.dropLeft = 0
			c.drop(StageData, "", "")
			c.state = lifeGone
			return false
		}
	}
	c.bodyLen += int64(n)
	if end && c.mode == modeData {
		c.bodyLen -= int64(len(".\r\n")) // the end marker is not data
	}
	if end {
		c.bodyEnded(true)
	}
	return true
}

// bodyReader reads a DATA body for Session.Data straight from the front:
// bulk reads, and dot-unstuffing with go-smtp's own rules (dotState), where
// go-smtp's reader takes one byte at a time. It runs on the connection's
// goroutine (go-smtp calls Data there for DATA). At the end it leaves
// go-smtp's reader the end marker alone, so that go-smtp ends the body and
// replies as it always does.
type bodyReader struct {
	c    *conn
	done bool
}

// endMarker is what go-smtp's DATA reader gets once bodyReader has read
// the body: a line with a lone dot, at the start of a line.
var endMarker = []byte(".\r\n")

func (b *bodyReader) Read(p []byte) (int, error) {
	c := b.c
	for !b.done && len(p) > 0 {
		var w int
		var end bool
		if c.r < c.w {
			raw := c.in[c.r:min(c.w, c.r+len(p))]
			var n int
			w, n, end = c.dot.Unstuff(p, raw)
			c.noteHead(raw[:n])
			c.r += n
			if !c.countBody(n, end) {
				return 0, io.ErrUnexpectedEOF
			}
		} else {
			// Nothing buffered: read into p and unstuff in place.
			n, err := c.readNet(p)
			if err != nil {
				// The body is cut short: never io.EOF, which would make it
				// a complete message (readNet says io.EOF for a client gone).
				c.bodyEnded(false)
				b.done = true
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return 0, err
			}
			var head [len(c.head)]byte
			h := copy(head[:], p[:n]) // before unstuffing overwrites it
			var used int
			w, used, end = c.dot.Unstuff(p, p[:n])
			if used < n {
				c.keep(p[used:n]) // after the body: the next commands
			}
			c.noteHead(head[:min(h, used)])
			if !c.countBody(used, end) {
				return 0, io.ErrUnexpectedEOF
			}
		}
		if end {
			b.done = true
			c.pending = endMarker
			return w, io.EOF
		}
		if w > 0 {
			return w, nil
		}
	}
	if b.done {
		return 0, io.EOF
	}
	return 0, nil
}

// finish reads what is left of the body, if Data stopped early (the size
// cap), so that go-smtp's reader only sees the end marker.
func (b *bodyReader) finish() {
	if b.done {
		return // the usual case: no buffer to allocate
	}
	scratch := make([]byte, 4096)
	for !b.done {
		if _, err := b.Read(scratch); err != nil {
			return
		}
	}
}

// keep stores b, read past the end of a body while c.in was empty, as the
// next bytes to use.
func (c *conn) keep(b []byte) {
	if len(c.in) < len(b) {
		c.in = make([]byte, max(len(b), 4096))
	}
	c.r, c.w = 0, copy(c.in, b)
}

// bodyEnded notes the body (or chunk) in the transcript and goes back to
// reading commands. Outside a body it does nothing.
func (c *conn) bodyEnded(complete bool) {
	if c.mode != modeData && c.mode != modeBDAT {
		return
	}
	what := "message data"
	if c.mode == modeBDAT {
		what = "BDAT chunk"
	}
	c.tr.addBody(what, c.bodyLen, c.head[:min(c.headLen, len(c.head))], complete)
	if c.mode == modeData {
		c.cmd = command{stage: StageEndOfData}
	}
	c.mode = modeCommand
}
