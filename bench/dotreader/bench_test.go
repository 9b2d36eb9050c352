package dotreader

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
)

// body is a 256 KiB message of 78-character lines, some with a leading
// dot, and the end marker.
func body() []byte {
	var b bytes.Buffer
	line := strings.Repeat("0123456789abcdef", 5)[:78] + "\r\n"
	for i := 0; b.Len() < 256<<10; i++ {
		if i%50 == 0 {
			b.WriteString("..") // a stuffed dot
		}
		b.WriteString(line)
	}
	b.WriteString(".\r\n")
	return b.Bytes()
}

// BenchmarkRead reads a 256 KiB body through go-smtp's bufio.Reader size
// (4 KiB) into a 32 KiB buffer, as io.Copy would: byte at a time (go-smtp
// today) and in bulk (the prototype).
func BenchmarkRead(b *testing.B) {
	in := body()
	for _, r := range []struct {
		name string
		mk   func(*bufio.Reader) io.Reader
	}{{"reader=byte", byteReader}, {"reader=bulk", bulkReader}} {
		b.Run(r.name, func(b *testing.B) {
			src := bytes.NewReader(in)
			br := bufio.NewReaderSize(src, 4096)
			buf := make([]byte, 32<<10)
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				src.Reset(in)
				br.Reset(src)
				dr := r.mk(br)
				for {
					if _, err := dr.Read(buf); err != nil {
						if err != io.EOF {
							b.Fatal(err)
						}
						break
					}
				}
			}
		})
	}
}
