package wire

import (
	"bytes"
	"testing"
)

// refUnstuff is the reference for DotReader: one byte at a time, written
// for clarity. A line ends at CRLF; the first line that is "." CRLF ends
// the body; a line that starts with "." loses it, and the CR right after
// it unless that CR ends the line (go-smtp's ".\rX" gives "X").
func refUnstuff(src []byte) (out []byte, n int, end bool) {
	out = []byte{}
	for n < len(src) {
		line := src[n:]
		if i := bytes.Index(line, []byte("\r\n")); i >= 0 {
			line = line[:i+2]
		}
		if string(line) == ".\r\n" {
			return out, n + 3, true
		}
		n += len(line)
		if line[0] == '.' {
			line = line[1:]
			if len(line) > 0 && line[0] == '\r' && !bytes.Equal(line, []byte("\r\n")) {
				line = line[1:]
			}
		}
		out = append(out, line...)
	}
	return out, n, false
}

// unstuffSplit runs DotReader over src cut at split, the way reads cut a
// stream, in place like the front does, and again with dst nil.
func unstuffSplit(t *testing.T, src []byte, split int) (out []byte, n int, end bool) {
	t.Helper()
	var d, scan DotReader
	buf := bytes.Clone(src)
	for _, piece := range [][2]int{{0, split}, {split, len(src)}} {
		p := buf[piece[0]:piece[1]]
		w, used, e := d.Unstuff(p, p) // in place
		_, sused, se := scan.Unstuff(nil, src[piece[0]:piece[1]])
		if sused != used || se != e {
			t.Fatalf("%q split at %d: scanning used %d (end %v), unstuffing %d (end %v)", src, split, sused, se, used, e)
		}
		out = append(out, p[:w]...)
		n += used
		if e {
			return out, n, true
		}
	}
	return out, n, false
}

func TestDotReader(t *testing.T) {
	for _, tc := range []struct {
		in   string
		out  string
		n    int
		ends bool
	}{
		{"", "", 0, false},
		{".\r\n", "", 3, true},
		{"a\r\n.\r\nrest", "a\r\n", 6, true},
		{"..leading\r\n.\r\n", ".leading\r\n", 14, true},
		{".\rX\r\n.\r\n", "X\r\n", 8, true},      // go-smtp's quirk, kept
		{"x\r\r\n.\r\nNOOP", "x\r\r\n", 7, true}, // CR CR LF . CR LF ends it
		{".\r\r\n.\r\n", "\r\n", 7, true},        // a dot line of a CR, then the end
		{"a\n.\r\nb", "a\n.\r\nb", 6, false},     // a bare LF starts no line
		{"a\r\n.\nb", "a\r\n\nb", 6, false},      // "." bare LF ends nothing
		{"a\r.\r\n", "a\r.\r\n", 5, false},       // a bare CR starts no line
		{"\r\n.\r\n", "\r\n", 5, true},
		{"...\r\n.\r\n", "..\r\n", 8, true},
		{"a\r\n..\r\n.\r\n", "a\r\n.\r\n", 10, true},
	} {
		out, n, end := refUnstuff([]byte(tc.in))
		if string(out) != tc.out || n != tc.n || end != tc.ends {
			t.Errorf("reference %q = %q, %d, %v; want %q, %d, %v", tc.in, out, n, end, tc.out, tc.n, tc.ends)
		}
		for split := 0; split <= len(tc.in); split++ {
			out, n, end := unstuffSplit(t, []byte(tc.in), split)
			if string(out) != tc.out || n != tc.n || end != tc.ends {
				t.Errorf("%q split at %d = %q, %d, %v; want %q, %d, %v", tc.in, split, out, n, end, tc.out, tc.n, tc.ends)
			}
		}
	}
}

// FuzzDotReader checks the bulk DotReader against the byte-at-a-time
// reference on any input cut at every split point.
func FuzzDotReader(f *testing.F) {
	for _, s := range []string{"", ".\r\n", "..\r\n.", "\r\r\n.\r\n", ".\rx", "a\r\n.\nb", "\r\n.\r\nNOOP", ".\r\r\n.\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		want, wn, wend := refUnstuff(src)
		for split := 0; split <= len(src); split++ {
			out, n, end := unstuffSplit(t, src, split)
			if !bytes.Equal(out, want) || n != wn || end != wend {
				t.Fatalf("%q split at %d = %q, %d, %v; the reference says %q, %d, %v", src, split, out, n, end, want, wn, wend)
			}
		}
	})
}
