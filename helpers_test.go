package smtptest_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smtptest/smtptest"
	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a goroutine behind: every server
// stops everything it started when it closes.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// ioBound bounds every read a test client makes, so that a bug shows as a
// failure instead of a hung test run. It is never waited out in a passing
// test.
const ioBound = 20 * time.Second

// rawClient speaks SMTP line by line, for the protocol's edge cases.
type rawClient struct {
	t  testing.TB
	nc net.Conn
	r  *bufio.Reader
}

// connect connects to srv; the connection closes when the test ends.
func connect(t testing.TB, srv *smtptest.Server) *rawClient {
	t.Helper()
	nc, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawClient{t: t, nc: nc, r: bufio.NewReader(nc)}
}

// dial connects to srv and reads the greeting, which must have code want.
func dial(t testing.TB, srv *smtptest.Server, want int) *rawClient {
	t.Helper()
	c := connect(t, srv)
	c.expect(want)
	return c
}

// write sends s as it is.
func (c *rawClient) write(s string) {
	c.t.Helper()
	c.nc.SetWriteDeadline(time.Now().Add(ioBound))
	if _, err := c.nc.Write([]byte(s)); err != nil {
		c.t.Fatalf("write %q: %v", s, err)
	}
}

// reply reads one reply and returns its code and text (lines joined with
// "\n", the code and separator removed).
func (c *rawClient) reply() (int, string) {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(ioBound))
	var lines []string
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			c.t.Fatalf("reading a reply after %q: %v", lines, err)
		}
		line = strings.TrimRight(line, "\r\n")
		if len(line) < 3 {
			c.t.Fatalf("malformed reply line %q", line)
		}
		code, err := strconv.Atoi(line[:3])
		if err != nil {
			c.t.Fatalf("malformed reply line %q", line)
		}
		text := ""
		if len(line) > 4 {
			text = line[4:]
		}
		lines = append(lines, text)
		if len(line) == 3 || line[3] == ' ' {
			return code, strings.Join(lines, "\n")
		}
	}
}

// expect reads a reply and fails unless its code is want.
func (c *rawClient) expect(want int) string {
	c.t.Helper()
	code, text := c.reply()
	if code != want {
		c.t.Fatalf("got reply %d %q, want %d", code, text, want)
	}
	return text
}

// cmd sends line with CRLF and expects a reply with code want.
func (c *rawClient) cmd(line string, want int) string {
	c.t.Helper()
	c.write(line + "\r\n")
	code, text := c.reply()
	if code != want {
		c.t.Fatalf("%q: got reply %d %q, want %d", line, code, text, want)
	}
	return text
}

// expectClosed fails unless the server closes the connection without
// sending anything more.
func (c *rawClient) expectClosed() {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(ioBound))
	if line, err := c.r.ReadString('\n'); err == nil || line != "" {
		c.t.Fatalf("got %q, %v; want the connection closed", line, err)
	}
}

// transaction sends a whole transaction: EHLO is the caller's.
func (c *rawClient) transaction(from string, to []string, data string) {
	c.t.Helper()
	c.cmd("MAIL FROM:<"+from+">", 250)
	for _, r := range to {
		c.cmd("RCPT TO:<"+r+">", 250)
	}
	c.cmd("DATA", 354)
	c.write(data + ".\r\n")
	c.expect(250)
}

// sendMail sends one message with net/smtp and fails the test on error.
func sendMail(t testing.TB, srv *smtptest.Server, from string, to []string, msg string) {
	t.Helper()
	if err := smtp.SendMail(srv.Addr(), nil, from, to, []byte(msg)); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
}

// smtpCode returns the reply code of a net/smtp error, or 0.
func smtpCode(err error) int {
	var tp *textproto.Error
	if errors.As(err, &tp) {
		return tp.Code
	}
	return 0
}

const simpleMsg = "From: Alice <alice@example.com>\r\nTo: Bob <bob@example.org>\r\nSubject: Hello\r\n\r\nHi Bob.\r\n"

// transactionRefused sends MAIL, RCPT and a message, whose end of data
// must get code.
func (c *rawClient) transactionRefused(from, to string, code int) {
	c.t.Helper()
	c.cmd("MAIL FROM:<"+from+">", 250)
	c.cmd("RCPT TO:<"+to+">", 250)
	c.cmd("DATA", 354)
	c.write(simpleMsg + ".\r\n")
	c.expect(code)
}

// startTLS upgrades a raw session after EHLO.
func (c *rawClient) startTLS(cfg *tls.Config) {
	c.t.Helper()
	c.cmd("STARTTLS", 220)
	tc := tls.Client(c.nc, cfg)
	if err := tc.Handshake(); err != nil {
		c.t.Fatalf("handshake: %v", err)
	}
	c.nc, c.r = tc, bufio.NewReader(tc)
}

// send finishes a net/smtp transaction.
func send(t *testing.T, c *smtp.Client, from, to string) {
	t.Helper()
	if err := c.Mail(from); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(to); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(simpleMsg))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
