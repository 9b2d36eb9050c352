package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/emersion/go-smtp"

	"github.com/smtptest/smtptest"
)

// store saves messages as .eml files and in an mbox, before the client is
// told they were accepted.
type store struct {
	dir  string
	mbox string
	mu   sync.Mutex // serializes writes
}

func newStore(dir, mbox string) (*store, error) {
	s := &store{dir: dir, mbox: mbox}
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	if mbox != "" {
		// Opened once here to report a bad path at start; each message
		// opens it anew (see appendMbox).
		f, err := os.OpenFile(mbox, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
		f.Close()
	}
	return s, nil
}

var errCannotSave = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Cannot save the message; try again later"}

// save returns the Deliver hook: it writes the message, or refuses it with
// a temporary failure (the client will retry) and reports why.
func (s *store) save(p *printer) func(m *smtptest.Message) error {
	return func(m *smtptest.Message) error {
		if s.dir == "" && s.mbox == "" {
			return nil
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		var name string
		if s.dir != "" {
			name = s.fileName(m)
			if err := writeNew(name, m.Data); err != nil {
				p.errorf("message %d from <%s> refused: %v", m.ID, m.From, err)
				return errCannotSave
			}
		}
		if s.mbox != "" {
			if err := appendMbox(s.mbox, m); err != nil {
				if name != "" {
					os.Remove(name)
				}
				p.errorf("message %d from <%s> refused: mbox: %v", m.ID, m.From, err)
				return errCannotSave
			}
		}
		return nil
	}
}

// fileName is where -dir keeps m: its arrival time and its ID, so the
// names sort by arrival and match the console, -json and the API.
func (s *store) fileName(m *smtptest.Message) string {
	return filepath.Join(s.dir, fmt.Sprintf("%s-%06d.eml", m.Received.UTC().Format("20060102T150405.000000Z"), m.ID))
}

// fileOf returns the file m was saved to, or "" without -dir. The printer
// only sees messages that were recorded, so saved.
func (s *store) fileOf(m *smtptest.Message) string {
	if s.dir == "" {
		return ""
	}
	return s.fileName(m)
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

// appendMbox appends m to the mbox at path in the mboxrd format, whole or
// not at all. The file is opened for each message, so that a file rotated
// or deleted away is created anew rather than written to where nobody
// looks. On any error the file is cut back to its length before, as
// Postfix's mail_copy() does: a partial record (a full disk) would glue
// the next message to it.
func appendMbox(path string, m *smtptest.Message) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	_, err = f.Write(mboxRecord(m))
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		if terr := f.Truncate(st.Size()); terr != nil {
			return fmt.Errorf("%w; and cutting the partial record failed: %v", err, terr)
		}
	}
	return err
}

// mboxRecord is m as an mboxrd record: a "From " line, the message with
// each CRLF turned into LF (one CR only: "x\r\r\n" keeps a CR), lines that
// match ">*From " quoted with one more ">", a final line ending if the
// message lacks one, and a blank line.
func mboxRecord(m *smtptest.Message) []byte {
	from := m.From
	if from == "" {
		from = "MAILER-DAEMON"
	}
	b := fmt.Appendf(nil, "From %s %s\n", from, m.Received.UTC().Format("Mon Jan _2 15:04:05 2006"))
	data := m.Data
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line = data[:i+1]
		}
		data = data[len(line):]
		if bytes.HasPrefix(bytes.TrimLeft(line, ">"), []byte("From ")) {
			b = append(b, '>')
		}
		if l, ok := bytes.CutSuffix(line, []byte("\n")); ok {
			line = bytes.TrimSuffix(l, []byte("\r"))
		}
		b = append(b, line...)
		b = append(b, '\n')
	}
	return append(b, '\n')
}
