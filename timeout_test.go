package smtptest_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/smtptest/smtptest"
)

// TestReadTimeoutEndsTheSessionOnce stalls a client at every point of the
// dialogue: wherever it is, the read timeout ends the session at its first
// expiry with one "421 4.4.2" that names no socket and no Go error, the
// connection closes, and nothing is recorded.
func TestReadTimeoutEndsTheSessionOnce(t *testing.T) {
	const timeout = 100 * time.Millisecond
	users := smtptest.Users(map[string]string{"alice": "s3cret!"})
	for _, tc := range []struct {
		name   string
		script string // sent, then nothing more
		codes  []int  // the replies before the 421
	}{
		{"idle after the greeting", "", nil},
		{"idle after EHLO", "EHLO client.example\r\n", []int{250}},
		{"inside a command line", "EHLO client.example\r\nMAIL FROM:<a@exa", []int{250}},
		{"inside a transaction", "EHLO client.example\r\nMAIL FROM:<a@example.com>\r\n", []int{250, 250}},
		{"inside a DATA body", "EHLO client.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: stalled\r\n\r\nhalf a bo",
			[]int{250, 250, 250, 354}},
		{"after a DATA body's last CRLF", "EHLO client.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: stalled\r\n\r\nbody\r\n",
			[]int{250, 250, 250, 354}},
		{"inside a BDAT chunk", "EHLO client.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nBDAT 100 LAST\r\nSubject: stalled\r\n",
			[]int{250, 250, 250}},
		{"between BDAT chunks", "EHLO client.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n" + bdat("Subject: stalled\r\n\r\n", false),
			[]int{250, 250, 250, 250}},
		{"inside a SASL exchange", "EHLO client.example\r\nAUTH LOGIN\r\n", []int{250, 334}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := smtptest.NewServer(t, smtptest.ReadTimeout(timeout), users)
			c := dial(t, srv, 220)
			if tc.script != "" {
				c.write(tc.script)
			}
			for _, want := range tc.codes {
				c.expect(want)
			}
			text := c.expect(421)
			if !strings.HasPrefix(text, "4.4.2 ") || !strings.Contains(text, "Timeout") {
				t.Errorf("reply 421 %q, want 421 4.4.2 ... Timeout ...", text)
			}
			for _, leak := range []string{"127.0.0.1", "tcp", "i/o", "read "} {
				if strings.Contains(text, leak) {
					t.Errorf("reply 421 %q shows %q", text, leak)
				}
			}
			c.expectClosed() // one reply, then the end: no 554, no second 421
			srv.Close()
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("%d messages recorded", n)
			}
			if r := srv.Rejections(); len(r) != 1 || r[0].Reply.Code != 421 {
				t.Errorf("Rejections() = %v, want the one 421", r)
			}
			tr := srv.Transcript()
			if n := strings.Count(tr, "read timed out after 100ms"); n != 1 {
				t.Errorf("the transcript notes %d timeouts, want 1:\n%s", n, tr)
			}
			if strings.Contains(tr, "S: 554") {
				t.Errorf("transcript:\n%s", tr)
			}
		})
	}
}

// TestClientLeavingMidBodyRecordsNothing half-closes the connection in
// the middle of a DATA body and of a BDAT LAST chunk: the message is cut
// short, so nothing is recorded and no 250 is sent.
func TestClientLeavingMidBodyRecordsNothing(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"DATA", "DATA\r\nSubject: cut\r\n\r\nhello"},
		{"BDAT LAST", "BDAT 100 LAST\r\nSubject: cut\r\n\r\nhello"},
		{"BDAT", "BDAT 100\r\nSubject: cut\r\n\r\nhello"},
		{"second BDAT", bdat("Subject: cut\r\n\r\n", false) + "BDAT 100 LAST\r\nhello"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := smtptest.NewServer(t)
			c := dial(t, srv, 220)
			c.write("EHLO x\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n" + tc.body)
			if err := c.nc.(*net.TCPConn).CloseWrite(); err != nil {
				t.Fatal(err)
			}
			c.nc.SetReadDeadline(time.Now().Add(ioBound))
			var replies []string
			for {
				line, err := c.r.ReadString('\n')
				if err != nil {
					break
				}
				replies = append(replies, strings.TrimSpace(line))
			}
			srv.Close()
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("%d messages recorded from a body cut short", n)
			}
			for _, r := range replies {
				if strings.HasPrefix(r, "250 2.0.0 OK") {
					t.Errorf("replies %q: the cut message was acknowledged", replies)
				}
			}
		})
	}
}

func TestReadTimeout(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.ReadTimeout(50*time.Millisecond))
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	if text := c.expect(421); !strings.HasPrefix(text, "4.4.2 ") {
		t.Errorf("reply %q, want 421 4.4.2", text)
	}
	c.expectClosed()
	if !strings.Contains(srv.Transcript(), "read timed out after 50ms") {
		t.Errorf("transcript:\n%s", srv.Transcript())
	}
}
