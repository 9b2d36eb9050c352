// Package bench compares smtptest with a bare go-smtp server (the floor)
// and with Go peers, side by side in one run. It is a module of its own so
// that the peers never become dependencies of smtptest. run.sh runs it
// with -count and prints the medians and the ratios to the floor.
package bench

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	gosmtp "github.com/emersion/go-smtp"
	"github.com/mhale/smtpd"
	smtpmock "github.com/mocktools/go-smtp-mock/v2"

	"github.com/smtptest/smtptest"
)

// A server under test: start returns its address and a function that stops
// it.
type server struct {
	name  string
	start func(tb testing.TB) (addr string, stop func())
}

// servers are compared in this order; the first, the floor, is the base of
// the ratios.
var servers = []server{
	{"floor", startFloor},
	{"smtptest", startSmtptest},
	{"go-smtp-mock", startMock},
	{"mhale-smtpd", startMhale},
}

// The floor: go-smtp with a backend that keeps each message in a slice.
type floorBackend struct {
	mu   sync.Mutex
	msgs [][]byte
}

type floorSession struct{ b *floorBackend }

func (b *floorBackend) NewSession(*gosmtp.Conn) (gosmtp.Session, error) { return floorSession{b}, nil }
func (floorSession) Reset()                                             {}
func (floorSession) Logout() error                                      { return nil }
func (floorSession) Mail(string, *gosmtp.MailOptions) error             { return nil }
func (floorSession) Rcpt(string, *gosmtp.RcptOptions) error             { return nil }
func (s floorSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, b)
	s.b.mu.Unlock()
	return err
}

func startFloor(tb testing.TB) (string, func()) {
	s := gosmtp.NewServer(&floorBackend{})
	s.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go s.Serve(ln)
	return ln.Addr().String(), func() { s.Close() }
}

func startSmtptest(tb testing.TB) (string, func()) {
	return startSmtptestWith(tb)
}

func startSmtptestWith(tb testing.TB, opts ...smtptest.Option) (string, func()) {
	srv, err := smtptest.Start(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return srv.Addr(), srv.Close
}

func startMock(tb testing.TB) (string, func()) {
	s := smtpmock.New(smtpmock.ConfigurationAttr{
		HostAddress:              "127.0.0.1",
		MultipleMessageReceiving: true, // with RSET between messages, which the client sends
		MultipleRcptto:           true,
		MsgSizeLimit:             1 << 30,
	})
	if err := s.Start(); err != nil {
		tb.Fatal(err)
	}
	return "127.0.0.1:" + strconv.Itoa(s.PortNumber()), func() { s.Stop() }
}

func startMhale(tb testing.TB) (string, func()) {
	var mu sync.Mutex
	var msgs [][]byte
	s := &smtpd.Server{
		Hostname:          "localhost",
		Appname:           "bench",
		DisableReverseDNS: true, // else it looks up every client
		Handler: func(_ net.Addr, _ string, _ []string, data []byte) error {
			mu.Lock()
			msgs = append(msgs, bytes.Clone(data)) // mhale reuses its buffer
			mu.Unlock()
			return nil
		},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go s.Serve(ln)
	// Close only marks the server closed: its Serve stays in Accept until
	// the listener closes, as a test using it would have to do.
	return ln.Addr().String(), func() { s.Close(); ln.Close() }
}

// client speaks SMTP with almost no allocation of its own, so that B/op is
// the server's.
type client struct {
	nc   net.Conn
	buf  []byte
	r, w int
}

func dial(tb testing.TB, addr string) *client {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	c := &client{nc: nc, buf: make([]byte, 4<<10)} // replies are short
	c.expect(tb, 220)
	c.nc.Write([]byte("EHLO bench.example\r\n"))
	c.expect(tb, 250)
	return c
}

// line returns the next reply line, without allocating.
func (c *client) line() ([]byte, error) {
	for {
		if i := bytes.IndexByte(c.buf[c.r:c.w], '\n'); i >= 0 {
			l := c.buf[c.r : c.r+i+1]
			c.r += i + 1
			return l, nil
		}
		if c.r > 0 {
			c.w = copy(c.buf, c.buf[c.r:c.w])
			c.r = 0
		}
		n, err := c.nc.Read(c.buf[c.w:])
		if n == 0 {
			return nil, err
		}
		c.w += n
	}
}

// reply reads a whole reply and returns its code.
func (c *client) reply() (int, error) {
	for {
		l, err := c.line()
		if err != nil {
			return 0, err
		}
		if len(l) < 4 {
			return 0, fmt.Errorf("bad reply line %q", l)
		}
		if l[3] != '-' {
			return int(l[0]-'0')*100 + int(l[1]-'0')*10 + int(l[2]-'0'), nil
		}
	}
}

func (c *client) expect(tb testing.TB, want int) {
	if code, err := c.reply(); code != want {
		tb.Fatalf("reply %d (%v), want %d", code, err, want)
	}
}

// envelope is sent pipelined before each message; RSET first lets
// go-smtp-mock take several messages per session.
var envelope = []byte("RSET\r\nMAIL FROM:<sender@example.com>\r\nRCPT TO:<rcpt@example.org>\r\nDATA\r\n")

// send sends one message (body ends with CRLF and the final dot).
func (c *client) send(body []byte) error {
	if _, err := c.nc.Write(envelope); err != nil {
		return err
	}
	for _, want := range [...]int{250, 250, 250, 354} {
		if code, err := c.reply(); code != want {
			return fmt.Errorf("reply %d (%v), want %d", code, err, want)
		}
	}
	if _, err := c.nc.Write(body); err != nil {
		return err
	}
	if code, err := c.reply(); code != 250 {
		return fmt.Errorf("end of data: %d (%v)", code, err)
	}
	return nil
}

// quit ends the session. The connection is reset rather than closed, so
// that no socket is left in TIME_WAIT: thousands of them would make every
// later listen and connect on the machine search for a free port, and the
// benchmarks would measure that.
func (c *client) quit() {
	c.nc.Write([]byte("QUIT\r\n"))
	c.reply()
	c.nc.(*net.TCPConn).SetLinger(0)
	c.nc.Close()
}

// message is a message of size bytes (its body lines are 78 characters),
// followed by the final dot.
func message(size int) []byte {
	var b bytes.Buffer
	b.WriteString("From: sender@example.com\r\nTo: rcpt@example.org\r\nSubject: benchmark\r\n\r\n")
	line := strings.Repeat("0123456789abcdef", 5)[:78] + "\r\n"
	for b.Len()+len(line) <= size {
		b.WriteString(line)
	}
	for b.Len() < size-2 {
		b.WriteByte('x')
	}
	b.WriteString("\r\n.\r\n")
	return b.Bytes()
}

// BenchmarkThroughput sends messages over several sessions at once. It
// reports msgs/s; B/op is what the server allocates per message.
func BenchmarkThroughput(b *testing.B) {
	for _, tc := range []struct {
		name     string
		size     int
		sessions int
	}{
		{"size=1KiB/sessions=1", 1 << 10, 1},
		{"size=1KiB/sessions=8", 1 << 10, 8},
		{"size=256KiB/sessions=4", 256 << 10, 4},
	} {
		body := message(tc.size)
		for _, s := range servers {
			b.Run(tc.name+"/server="+s.name, func(b *testing.B) {
				addr, stop := s.start(b)
				defer stop()
				clients := make([]*client, tc.sessions)
				for i := range clients {
					clients[i] = dial(b, addr)
				}
				b.SetBytes(int64(tc.size))
				b.ReportAllocs()
				var left atomic.Int64
				left.Store(int64(b.N))
				var wg sync.WaitGroup
				errs := make(chan error, len(clients))
				b.ResetTimer()
				for _, c := range clients {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for left.Add(-1) >= 0 {
							if err := c.send(body); err != nil {
								errs <- err
								return
							}
						}
					}()
				}
				wg.Wait()
				b.StopTimer()
				close(errs)
				if err := <-errs; err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
				for _, c := range clients {
					c.quit()
				}
			})
		}
	}
}

// BenchmarkStartSessionClose is the cost of a server in a test: start it,
// one EHLO/QUIT session, close it.
func BenchmarkStartSessionClose(b *testing.B) {
	all := append(servers[:2:2],
		server{"smtptest-tls", func(tb testing.TB) (string, func()) { return startSmtptestWith(tb, smtptest.StartTLS()) }},
	)
	all = append(all, servers[2:]...)
	for _, s := range all {
		b.Run("server="+s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				addr, stop := s.start(b)
				dial(b, addr).quit()
				stop()
			}
		})
	}
}

// BenchmarkTLSHandshakeSession is a session that does STARTTLS: the
// handshake's cost, client side included, reported apart from the start.
func BenchmarkTLSHandshakeSession(b *testing.B) {
	srv, err := smtptest.Start(smtptest.StartTLS())
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	cfg := srv.ClientTLSConfig()
	b.ReportAllocs()
	for b.Loop() {
		c, err := gosmtp.DialStartTLS(srv.Addr(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		c.Quit()
	}
}
