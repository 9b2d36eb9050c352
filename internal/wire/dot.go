package wire

import "bytes"

// DotReader is the state machine of a DATA body (RFC 5321 4.5.2): it finds
// where the body ends and removes the dots that stuff lines. The body ends
// at the first line that is "." CRLF, at the start or after a CRLF,
// whatever bytes came before that CRLF: "x" CR CR LF "." CR LF ends it
// (go-smtp's own reader misses that end, as a CR in its CR state moves it
// into the data state, and waits for more). A "." followed by a bare LF
// does not end the body, nor does a bare LF start a line (RFC 5321
// 4.1.1.4; SMTP smuggling). Otherwise it writes what go-smtp's reader
// writes, byte for byte, quirks included: the dot that starts a line is
// dropped, and after it a CR too (".\rX" gives "X").
//
// The zero DotReader is at the start of a body. It is written for bulk
// input: inside a line it copies up to the next CR at once, and only line
// starts and CR LF pairs step the machine.
type DotReader struct {
	st dotState
}

type dotState uint8

const (
	dotBeginLine dotState = iota // at the start of a line (and of the body)
	dotDot                       // read "." at the start of a line
	dotDotCR                     // read ".\r" at the start of a line
	dotCR                        // read "\r"
	dotData                      // inside a line
)

// Unstuff reads src, the next bytes of the body, and appends to dst what
// the body holds of them. It returns how many bytes it wrote to dst, how
// many of src it used (the end marker included; what follows the end is
// not the body's), and whether the end marker was among them. dst may be
// src itself, as it never writes ahead of what it has read, or nil to only
// find the end (w is then 0).
func (d *DotReader) Unstuff(dst, src []byte) (w, n int, end bool) {
	st := d.st
	for n < len(src) {
		c := src[n]
		switch st {
		case dotData:
			j := bytes.IndexByte(src[n:], '\r')
			if j < 0 {
				if dst != nil {
					w += copy(dst[w:], src[n:])
				}
				n = len(src)
				continue
			}
			if dst != nil {
				w += copy(dst[w:], src[n:n+j+1])
			}
			n += j + 1
			st = dotCR
			continue
		case dotBeginLine:
			switch c {
			case '.':
				st = dotDot
				n++
				continue
			case '\r':
				st = dotCR
			default:
				st = dotData
			}
		case dotDot:
			if c == '\r' {
				st = dotDotCR
				n++
				continue
			}
			st = dotData
		case dotDotCR, dotCR:
			switch {
			case c == '\n' && st == dotDotCR:
				d.st = dotBeginLine
				return w, n + 1, true
			case c == '\n':
				st = dotBeginLine
			case c == '\r':
				st = dotCR // this CR may begin the line's CRLF
			default:
				st = dotData
			}
		}
		if dst != nil {
			dst[w] = c
			w++
		}
		n++
	}
	d.st = st
	return w, n, false
}
