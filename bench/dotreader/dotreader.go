// Package dotreader is a prototype, outside go-smtp, of the change its
// DATA reader needs to stop being the bottleneck for large messages.
//
// go-smtp's dataReader (data.go, derived from net/textproto's DotReader)
// takes the body one byte at a time: a bufio.Reader.ReadByte call and a
// trip through a five-state machine for every byte. [ByteReader] does the
// same, as the baseline. [BulkReader] keeps the same states and the same
// output, but works on what the bufio.Reader already holds: inside a line
// it looks for the next CR with bytes.IndexByte and copies the whole run
// at once; only line starts and CR/LF pairs go through the state machine.
// bench_test.go measures both; the test checks that they agree byte for
// byte, on what they return and on what they leave unread.
//
// The change upstream is local to dataReader.Read: replace the ReadByte
// loop with Peek(Buffered())/Discard over the same bufio.Reader, as
// BulkReader.Read does. Its MaxMessageBytes accounting is unchanged.
package dotreader

import (
	"bufio"
	"bytes"
	"io"
)

// state is where the reader is in the body, as in go-smtp.
type state uint8

const (
	beginLine state = iota // start of a line (and of the body)
	dot                    // "." at the start of a line
	dotCR                  // ".\r" at the start of a line
	cr                     // "\r"
	data                   // inside a line
	done                   // read the end marker, "\r\n.\r\n"
)

// step runs the state machine over one byte and reports whether the byte
// is part of the message (a line's leading dot and the end marker are not).
func (s *state) step(c byte) (keep bool) {
	switch *s {
	case beginLine:
		switch c {
		case '.':
			*s = dot
			return false
		case '\r':
			*s = cr
		default:
			*s = data
		}
	case dot:
		if c == '\r' {
			*s = dotCR
			return false
		}
		*s = data
	case dotCR:
		if c == '\n' {
			*s = done
			return false
		}
		*s = data
	case cr:
		if c == '\n' {
			*s = beginLine
		} else {
			*s = data
		}
	case data:
		if c == '\r' {
			*s = cr
		}
	}
	return true
}

// ByteReader reads a DATA body the way go-smtp does: byte by byte.
type ByteReader struct {
	r  *bufio.Reader
	st state
}

// NewByteReader returns a ByteReader of the body that r holds next.
func NewByteReader(r *bufio.Reader) *ByteReader { return &ByteReader{r: r} }

// Read returns body bytes, dots unstuffed, and io.EOF after the end marker.
func (r *ByteReader) Read(b []byte) (int, error) {
	n := 0
	for n < len(b) && r.st != done {
		c, err := r.r.ReadByte()
		if err != nil {
			return n, unexpected(err)
		}
		if r.st.step(c) {
			b[n] = c
			n++
		}
	}
	if r.st == done && n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// BulkReader reads a DATA body in runs: the prototype of the change.
type BulkReader struct {
	r  *bufio.Reader
	st state
}

// NewBulkReader returns a BulkReader of the body that r holds next.
func NewBulkReader(r *bufio.Reader) *BulkReader { return &BulkReader{r: r} }

// Read returns body bytes, dots unstuffed, and io.EOF after the end marker.
func (r *BulkReader) Read(b []byte) (int, error) {
	n := 0
	for n < len(b) && r.st != done {
		if r.r.Buffered() == 0 {
			if _, err := r.r.Peek(1); err != nil { // fills the buffer
				return n, unexpected(err)
			}
		}
		// What the buffer holds, no more than b can take (output is never
		// longer than input): no copy, no call per byte.
		src, _ := r.r.Peek(min(r.r.Buffered(), len(b)-n))
		i := 0
		for i < len(src) && r.st != done {
			if r.st == data {
				j := bytes.IndexByte(src[i:], '\r')
				if j < 0 {
					n += copy(b[n:], src[i:])
					i = len(src)
					break
				}
				n += copy(b[n:], src[i:i+j+1])
				i += j + 1
				r.st = cr
				continue
			}
			c := src[i]
			i++
			if r.st.step(c) {
				b[n] = c
				n++
			}
		}
		r.r.Discard(i)
	}
	if r.st == done && n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
