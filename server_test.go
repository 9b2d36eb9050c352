package smtptest_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/smtp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/internal/tbtest"
)

func TestListensOnLoopbackWithSystemPort(t *testing.T) {
	a := smtptest.NewServer(t)
	b := smtptest.NewServer(t)
	for _, srv := range []*smtptest.Server{a, b} {
		ap, err := netip.ParseAddrPort(srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		if ap.Addr() != netip.MustParseAddr("127.0.0.1") || ap.Port() == 0 {
			t.Errorf("Addr() = %s, want 127.0.0.1 with a port", srv.Addr())
		}
	}
	if a.Addr() == b.Addr() {
		t.Errorf("two servers share the address %s", a.Addr())
	}
}

func TestListenAddrIPv6Loopback(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback on this machine: %v", err) // the machine, not the feature
	}
	ln.Close()
	srv := smtptest.NewServer(t, smtptest.ListenAddr("[::1]:0"))
	if !strings.HasPrefix(srv.Addr(), "[::1]:") {
		t.Fatalf("Addr() = %s, want [::1]:port", srv.Addr())
	}
	sendMail(t, srv, "a@example.com", []string{"b@example.org"}, simpleMsg)
	if got := srv.Messages()[0].Remote.Addr(); got != netip.IPv6Loopback() {
		t.Errorf("Remote = %v, want ::1", got)
	}
}

// Guarantee 3: servers are independent, in parallel tests too.
func TestParallelServersAreIsolated(t *testing.T) {
	for i := range 32 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			srv := smtptest.NewServer(t)
			from := fmt.Sprintf("sender%d@example.com", i)
			sendMail(t, srv, from, []string{"b@example.org"}, simpleMsg)
			msgs := srv.Messages()
			if len(msgs) != 1 || msgs[0].From != from {
				t.Errorf("server %d recorded %v", i, msgs)
			}
		})
	}
}

// Guarantee 4: Close ends everything, mid-transaction too; goleak in
// TestMain checks that no goroutine is left.
func TestCloseMidTransactionAndIdempotent(t *testing.T) {
	srv, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	var clients []*rawClient
	for i := range 8 {
		c := dial(t, srv, 220)
		c.cmd("EHLO client.example", 250)
		c.cmd("MAIL FROM:<a@example.com>", 250)
		if i%2 == 0 {
			c.cmd("RCPT TO:<b@example.org>", 250)
			c.cmd("DATA", 354)
			c.write("Subject: never finished\r\n\r\nhalf a line") // no end
		}
		clients = append(clients, c)
	}
	idle := dial(t, srv, 220) // connected, silent

	var wg sync.WaitGroup
	for range 3 { // concurrent Close calls all return
		wg.Add(1)
		go func() {
			defer wg.Done()
			srv.Close()
		}()
	}
	wg.Wait()
	srv.Close()

	for _, c := range append(clients, idle) {
		c.expectClosed()
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d unfinished messages recorded", n)
	}
	if _, err := net.Dial("tcp", srv.Addr()); err == nil {
		t.Error("the listener still accepts after Close")
	}
	// The record stays readable.
	if !strings.Contains(srv.Transcript(), "connection closed by Server.Close") {
		t.Errorf("transcript does not say Close ended the sessions:\n%s", srv.Transcript())
	}
}

func TestCloseReportsStuckHookAndDiscardsItsResult(t *testing.T) {
	unblock := make(chan struct{})
	entered := make(chan struct{})
	var srv *smtptest.Server
	sendErr := make(chan error, 1)
	tb := tbtest.Run(t, func(tb *tbtest.TB) {
		srv = smtptest.NewServer(tb, smtptest.CloseTimeout(50*time.Millisecond), smtptest.Hooks{
			Deliver: func(*smtptest.Message) error {
				close(entered)
				<-unblock
				return nil
			},
		})
		go func() {
			sendErr <- smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte(simpleMsg))
		}()
		<-entered
		srv.Close() // returns after the bound with the hook still running
	})
	close(unblock)
	if err := <-sendErr; err == nil {
		t.Error("the client got 250 for a message whose hook outlived Close")
	}
	if want := "Deliver (conn 1) still running after 50ms"; !strings.Contains(tb.Text(), want) {
		t.Errorf("test output:\n%s\nwant %q", tb.Text(), want)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("the stuck hook's message was recorded after Close")
	}
}

func TestGreetingDomainAndBanner(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.Domain("mx.example.org"), smtptest.Banner("ESMTP Postfix (Debian)"))
	nc, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetReadDeadline(time.Now().Add(ioBound))
	line := make([]byte, 100)
	n, _ := io.ReadAtLeast(nc, line, len("220 mx.example.org ESMTP Postfix (Debian)\r\n"))
	if got := string(line[:n]); got != "220 mx.example.org ESMTP Postfix (Debian)\r\n" {
		t.Errorf("greeting %q", got)
	}
	cfg := srv.Config()
	if cfg.Domain != "mx.example.org" || cfg.Banner != "ESMTP Postfix (Debian)" || cfg.Addr != srv.Addr() || cfg.MaxMessageBytes != smtptest.DefaultMaxMessageBytes || cfg.MaxRecipients != smtptest.DefaultMaxRecipients {
		t.Errorf("Config() = %+v", cfg)
	}
}

func TestConfigureSMTP(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.ConfigureSMTP(func(s *gosmtp.Server) {
		s.EnableBINARYMIME = true
		s.EnableDSN = false
	}))
	c := dial(t, srv, 220)
	ehlo := c.cmd("EHLO client.example", 250)
	if !strings.Contains(ehlo, "\nBINARYMIME") || strings.Contains(ehlo, "\nDSN") {
		t.Errorf("EHLO reply:\n%s\nwant BINARYMIME and no DSN", ehlo)
	}
	c.cmd("MAIL FROM:<a@example.com> BODY=BINARYMIME", 250)

	_, err := smtptest.Start(smtptest.ConfigureSMTP(func(s *gosmtp.Server) {
		s.MaxMessageBytes = 10
		s.TLSConfig = &tls.Config{}
	}))
	if err == nil || !strings.Contains(err.Error(), "TLSConfig (use StartTLS, ImplicitTLS, TLSConfig), MaxMessageBytes (use MaxMessageBytes)") {
		t.Errorf("Start with owned fields changed: %v", err)
	}
}

func TestInvalidOptions(t *testing.T) {
	for _, o := range []smtptest.Option{
		smtptest.MaxMessageBytes(0),
		smtptest.MaxRecipients(-1),
		smtptest.ReadTimeout(-time.Second),
		smtptest.WriteTimeout(-time.Second),
		smtptest.CloseTimeout(0),
		smtptest.Domain(""),
		smtptest.Domain("a\r\nb"),
		smtptest.Banner("x\ny"),
		smtptest.ListenAddr(""),
		smtptest.ListenAddr("256.0.0.1:0"),
		smtptest.ConfigureSMTP(nil),
		nil,
	} {
		if srv, err := smtptest.Start(o); err == nil || !strings.HasPrefix(err.Error(), "smtptest: ") {
			t.Errorf("Start(%#v) = %v; want an error starting with smtptest:", o, err)
			if srv != nil {
				srv.Close()
			}
		}
	}
	tb := tbtest.Run(t, func(tb *tbtest.TB) {
		smtptest.NewServer(tb, smtptest.MaxMessageBytes(-1))
		t.Error("NewServer returned with an invalid option")
	})
	if !tb.Fataled() || !strings.Contains(tb.Text(), "MaxMessageBytes(-1)") {
		t.Errorf("NewServer with an invalid option: %q", tb.Text())
	}
}

func TestHostAndPort(t *testing.T) {
	srv := smtptest.NewServer(t)
	if got := net.JoinHostPort(srv.Host(), strconv.Itoa(srv.Port())); got != srv.Addr() || srv.Host() != "127.0.0.1" {
		t.Errorf("Host %q, Port %d, Addr %q", srv.Host(), srv.Port(), srv.Addr())
	}
	if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
		return // no IPv6 loopback on this machine (see TestListenAddrIPv6Loopback)
	} else {
		ln.Close()
	}
	v6 := smtptest.NewServer(t, smtptest.ListenAddr("[::1]:0"))
	if got := net.JoinHostPort(v6.Host(), strconv.Itoa(v6.Port())); got != v6.Addr() || v6.Host() != "::1" {
		t.Errorf("IPv6: Host %q, Port %d, Addr %q", v6.Host(), v6.Port(), v6.Addr())
	}
}
