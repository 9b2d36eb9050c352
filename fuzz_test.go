package smtptest_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/smtp"
	"testing"
	"time"

	"github.com/smtptest/smtptest"
)

// FuzzMIME feeds arbitrary bytes to the MIME accessors: they must return,
// never panic, and leave Data as it was. The seed corpus is in
// testdata/fuzz/FuzzMIME.
func FuzzMIME(f *testing.F) {
	f.Add([]byte(simpleMsg))
	f.Add([]byte(richMsg))
	f.Fuzz(func(t *testing.T, data []byte) {
		orig := bytes.Clone(data)
		m := &smtptest.Message{Data: data}
		m.Header()
		m.Subject()
		m.TextBody()
		m.HTMLBody()
		m.Attachments()
		if e, err := m.Entity(); err == nil || e != nil {
			if e != nil {
				io.Copy(io.Discard, io.LimitReader(e.Body, 64<<20))
			}
		}
		_ = m.String()
		if !bytes.Equal(data, orig) {
			t.Fatal("an accessor changed Data")
		}
	})
}

// FuzzServer sends an arbitrary stream to a server, as one client, then
// closes its side. The server must not panic, must end the session (no
// hang: it closes the connection once the client is done), and must still
// serve the next client. The seed corpus, in testdata/fuzz/FuzzServer,
// holds the client side of tcllib smtpd's recorded conversations and the
// protocol's edge cases.
func FuzzServer(f *testing.F) {
	f.Add([]byte("EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nSubject: s\r\n\r\nbody\r\n.\r\nQUIT\r\n"))
	// One server for all inputs: a server per input would churn through
	// the machine's ephemeral ports (each input's connection ends in
	// TIME_WAIT on the client side, which closes first). It is made with
	// Start, not NewServer(f): the testing package forbids f's methods
	// inside the fuzz target, where the server would log.
	srv, err := smtptest.Start(smtptest.MaxMessageBytes(1<<16), smtptest.Users(map[string]string{"u": "p"}))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(srv.Close)
	f.Fuzz(func(t *testing.T, stream []byte) {
		srv.Reset()
		nc, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		// The bound only turns a hang into a failure: the server closes
		// the connection as soon as it has read the client's end.
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		go func() {
			nc.Write(stream)
			nc.(*net.TCPConn).CloseWrite()
		}()
		if _, err := io.Copy(io.Discard, nc); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("the server did not end the session:\n%s", srv.Transcript())
			}
		}
		if err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte(simpleMsg)); err != nil {
			t.Fatalf("the next client was not served: %v\n%s", err, srv.Transcript())
		}
		msgs := srv.Messages()
		if len(msgs) == 0 || !bytes.Equal(msgs[len(msgs)-1].Data, []byte(simpleMsg)) {
			t.Fatalf("the next client's message was not recorded as sent")
		}
	})
}
