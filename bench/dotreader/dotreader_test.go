package dotreader

import (
	"bufio"
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// readAll reads a body with a reader made by mk, in reads of size bytes,
// and returns the body, what the bufio.Reader still held after it and the
// error that ended it.
func readAll(input []byte, size int, mk func(*bufio.Reader) io.Reader) (body, rest []byte, err error) {
	br := bufio.NewReaderSize(bytes.NewReader(input), 16)
	r := mk(br)
	buf := make([]byte, size)
	for {
		n, e := r.Read(buf)
		body = append(body, buf[:n]...)
		if e != nil {
			err = e
			break
		}
	}
	rest, _ = io.ReadAll(br)
	return body, rest, err
}

func byteReader(r *bufio.Reader) io.Reader { return NewByteReader(r) }
func bulkReader(r *bufio.Reader) io.Reader { return NewBulkReader(r) }

// agree fails unless both readers give the same body, error and rest.
func agree(t *testing.T, input []byte) {
	t.Helper()
	for _, size := range []int{1, 3, 16, 4096} {
		wantBody, wantRest, wantErr := readAll(input, size, byteReader)
		gotBody, gotRest, gotErr := readAll(input, size, bulkReader)
		if !bytes.Equal(gotBody, wantBody) || gotErr != wantErr || !bytes.Equal(gotRest, wantRest) {
			t.Fatalf("input %q, reads of %d:\nbulk: %q, %v, rest %q\nbyte: %q, %v, rest %q",
				input, size, gotBody, gotErr, gotRest, wantBody, wantErr, wantRest)
		}
	}
}

func TestReadersAgree(t *testing.T) {
	for _, in := range []string{
		"Subject: x\r\n\r\nbody\r\n.\r\n",
		"..leading dot\r\n.\r\nNEXT COMMAND\r\n",
		".\r\n",
		"a\r\n.x\r\n.\r\n",
		".\rX\r\n.\r\n", // go-smtp drops the CR after a leading dot
		"bare\nLF\n.\n.\r\n",
		"CR\r\r\n.\r\n",
		"no end marker\r\n",
		"",
		strings.Repeat("0123456789", 100) + "\r\n.\r\n",
	} {
		agree(t, []byte(in))
	}
}

// TestReadersAgreeRandom compares the readers on bodies made mostly of
// the bytes that matter to the state machine.
func TestReadersAgreeRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte(".\r\nab")
	for range 5000 {
		in := make([]byte, rng.IntN(40))
		for i := range in {
			in[i] = alphabet[rng.IntN(len(alphabet))]
		}
		agree(t, in)
	}
}

func FuzzReadersAgree(f *testing.F) {
	f.Add([]byte("a\r\n..b\r\n.\r\nQUIT\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) { agree(t, in) })
}
