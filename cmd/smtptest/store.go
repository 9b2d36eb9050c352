package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/smtptest/smtptest"
)

// store saves messages as .eml files and in an mbox, before the client is
// told they were accepted.
type store struct {
	dir   string
	mbox  *os.File
	mu    sync.Mutex // guards the fields below and serializes writes
	seq   int
	saved map[savedKey]string // the file of each message saved, until printed
}

// savedKey finds a message again: the printer gets a copy of the message
// the Deliver hook saw.
type savedKey struct {
	conn     int
	received time.Time
}

func newStore(dir, mbox string) (*store, error) {
	s := &store{dir: dir, saved: map[savedKey]string{}}
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	if mbox != "" {
		f, err := os.OpenFile(mbox, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
		s.mbox = f
	}
	return s, nil
}

func (s *store) close() {
	if s.mbox != nil {
		s.mbox.Close()
	}
}

// save returns the Deliver hook: it writes the message, or refuses it with
// a temporary failure (the client will retry) and reports why.
func (s *store) save(p *printer) func(m *smtptest.Message) error {
	return func(m *smtptest.Message) error {
		if s.dir == "" && s.mbox == nil {
			return nil
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		var name string
		if s.dir != "" {
			s.seq++
			name = filepath.Join(s.dir, fmt.Sprintf("%s-%06d.eml", m.Received.UTC().Format("20060102T150405.000000Z"), s.seq))
			if err := writeNew(name, m.Data); err != nil {
				p.errorf("message from <%s> refused: %v", m.From, err)
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Cannot save the message; try again later"}
			}
		}
		if s.mbox != nil {
			if err := appendMbox(s.mbox, m); err != nil {
				if name != "" {
					os.Remove(name)
				}
				p.errorf("message from <%s> refused: mbox: %v", m.From, err)
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Cannot save the message; try again later"}
			}
		}
		if name != "" {
			s.saved[savedKey{m.ConnID, m.Received}] = name
		}
		return nil
	}
}

// fileOf returns the file m was saved to, and forgets it.
func (s *store) fileOf(m *smtptest.Message) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := savedKey{m.ConnID, m.Received}
	name := s.saved[k]
	delete(s.saved, k)
	return name
}

// writeNew writes a file that must not exist yet, completely or not at all.
func writeNew(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
	}
	return err
}

// appendMbox appends m in the mboxrd format: a "From " line, the message
// with LF line endings and ">From " quoting, and a blank line.
func appendMbox(f *os.File, m *smtptest.Message) error {
	var b bytes.Buffer
	from := m.From
	if from == "" {
		from = "MAILER-DAEMON"
	}
	fmt.Fprintf(&b, "From %s %s\n", from, m.Received.UTC().Format("Mon Jan _2 15:04:05 2006"))
	sc := bufio.NewScanner(bytes.NewReader(m.Data))
	sc.Buffer(make([]byte, 64<<10), len(m.Data)+1)
	for sc.Scan() {
		line := bytes.TrimSuffix(sc.Bytes(), []byte("\r"))
		if bytes.HasPrefix(bytes.TrimLeft(line, ">"), []byte("From ")) {
			b.WriteByte('>')
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	_, err := f.Write(b.Bytes())
	return err
}
