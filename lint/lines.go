package lint

import (
	"bytes"
	"fmt"
)

// checkLines checks the line structure of the whole data: lines end in
// CRLF, no bare CR or LF, no NUL, no line over 998 octets. Each rule is
// reported once, at its first occurrence, with how many more there are:
// a message with a bare LF on every line is one problem to fix.
func (c *checker) checkLines() {
	if !c.linesClean() {
		c.checkLinesEachByte()
	}
}

// checkLinesEachByte is checkLines' pass over every byte.
func (c *checker) checkLinesEachByte() {
	type first struct {
		off, count int
		line       []byte
	}
	var bareLF, bareCR, nul, long first
	note := func(f *first, off int, line []byte) {
		if f.count == 0 {
			f.off, f.line = off, line
		}
		f.count++
	}
	data := c.data
	start := 0
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '\n':
			end := i
			if i > 0 && data[i-1] == '\r' {
				end = i - 1
			} else {
				note(&bareLF, i, data[start:i])
			}
			if end-start > 998 {
				note(&long, start, data[start:end])
			}
			start = i + 1
		case '\r':
			if i+1 >= len(data) || data[i+1] != '\n' {
				note(&bareCR, i, data[start:min(i+1, len(data))])
			}
		case 0:
			note(&nul, i, data[start:i+1])
		}
	}
	if len(data)-start > 998 {
		note(&long, start, data[start:])
	}
	more := func(f first) string {
		if f.count > 1 {
			return fmt.Sprintf(" (and %d more)", f.count-1)
		}
		return ""
	}
	if bareLF.count > 0 {
		c.add("line/bare-lf", "", bareLF.off, "line ends in a bare LF instead of CRLF: %s%s", quote(append(bareLF.line, '\n')), more(bareLF))
	}
	if bareCR.count > 0 {
		c.add("line/bare-cr", "", bareCR.off, "bare CR without LF: %s%s", quote(bareCR.line), more(bareCR))
	}
	if nul.count > 0 {
		c.add("line/nul", "", nul.off, "NUL byte: %s%s", quote(nul.line), more(nul))
	}
	if long.count > 0 {
		c.add("line/too-long", "", long.off, "line of %d octets, more than 998: %s%s", len(long.line), quote(long.line), more(long))
	}
}

// linesClean reports, quickly, that the data has none of checkLines'
// problems: every CR is followed by LF and every LF preceded by CR (as
// many CRLFs as CRs and as LFs), no NUL, no line over 998 octets. Most
// messages are clean; the byte-by-byte pass is for those that are not.
func (c *checker) linesClean() bool {
	data := c.data
	crlf := bytes.Count(data, []byte("\r\n"))
	if bytes.Count(data, []byte("\n")) != crlf || bytes.Count(data, []byte("\r")) != crlf || bytes.IndexByte(data, 0) >= 0 {
		return false
	}
	for start := 0; start < len(data); {
		i := bytes.IndexByte(data[start:], '\n')
		if i < 0 {
			return len(data)-start <= 998
		}
		if i-1 > 998 { // the line without its CRLF
			return false
		}
		start += i + 1
	}
	return true
}
