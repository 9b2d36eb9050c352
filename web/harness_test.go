package web

import (
	"io"
	"net"
	"net/http"
	"net/smtp"
	"testing"
	"time"

	"github.com/smtptest/smtptest"
)

// bound turns a hang into a failure; passing tests never wait it out.
const bound = 20 * time.Second

// proc is a server with its web side served on loopback.
type proc struct {
	srv  *smtptest.Server
	site *Site
	addr string // the SMTP server's
	api  string // the web side's base URL
	http *http.Server
	done chan struct{}
}

// start starts a server with opts and serves its web side, the Site
// closed when the test ends (or by p.stop).
func start(t *testing.T, opts ...smtptest.Option) *proc {
	t.Helper()
	srv := smtptest.NewServer(t, opts...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{srv: srv, addr: srv.Addr(), api: "http://" + ln.Addr().String(), done: make(chan struct{})}
	p.site = Handler(srv, &Options{Addr: ln.Addr().String()})
	p.http = &http.Server{Handler: p.site}
	go func() {
		defer close(p.done)
		p.http.Serve(ln)
	}()
	t.Cleanup(p.stop)
	return p
}

// stop closes the Site (its streams end) and the HTTP server.
func (p *proc) stop() {
	p.site.Close()
	p.http.Close()
	<-p.done
}

// send delivers a message with net/smtp and ends the session with QUIT
// even when the message was refused.
func (p *proc) send(from string, to []string, msg string) error {
	c, err := smtp.Dial(p.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	err = sendOn(c, from, to, msg)
	if qerr := c.Quit(); err == nil {
		err = qerr
	}
	return err
}

// sendOn sends one message on an open net/smtp session.
func sendOn(c *smtp.Client, from string, to []string, msg string) error {
	if err := c.Mail(from); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, msg); err != nil {
		return err
	}
	return w.Close()
}

// msg is a short message, as the tests send it.
const msg = "From: app@example.com\r\nTo: ann@example.org\r\nSubject: Hello\r\n\r\nHi Ann.\r\nFrom the app.\r\n"

// sendAuth is send with AUTH PLAIN as user.
func (p *proc) sendAuth(user, pass, from string, to []string, msg string) error {
	c, err := smtp.Dial(p.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Auth(smtp.PlainAuth("", user, pass, "127.0.0.1")); err != nil {
		return err
	}
	err = sendOn(c, from, to, msg)
	if qerr := c.Quit(); err == nil {
		err = qerr
	}
	return err
}
