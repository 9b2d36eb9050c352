package smtptest_test

import (
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/internal/tbtest"
)

// scriptTest is one row of the protocol tables: a raw session's script
// (from the greeting on) and what the server must hold afterwards.
type scriptTest struct {
	name   string
	script func(c *rawClient)
	check  func(t *testing.T, srv *smtptest.Server)
}

// runScripts runs each row against a server of its own.
func runScripts(t *testing.T, tests []scriptTest) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.NewServer(t)
			tt.script(dial(t, srv, 220))
			if tt.check != nil {
				tt.check(t, srv)
			}
		})
	}
}

// TestCommandSequence checks the order of commands: what comes before what, resets, pipelining.
func TestCommandSequence(t *testing.T) {
	runScripts(t, []scriptTest{
		{
			name: "MAIL before HELO is 503",
			script: func(c *rawClient) {
				c.cmd("MAIL FROM:<a@example.com>", 503)
				c.cmd("RCPT TO:<b@example.org>", 503)
				c.cmd("DATA", 503)
			},
		},
		{
			name: "RCPT without MAIL and DATA without RCPT are 503",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.cmd("RCPT TO:<b@example.org>", 503)
				c.cmd("DATA", 503)
				c.cmd("MAIL FROM:<a@example.com>", 250)
				c.cmd("DATA", 503)
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				var stages []smtptest.Stage
				for _, r := range srv.Rejections() {
					stages = append(stages, r.Stage)
				}
				if want := []smtptest.Stage{smtptest.StageRcpt, smtptest.StageData, smtptest.StageData}; !slices.Equal(stages, want) {
					t.Errorf("rejection stages %v, want %v", stages, want)
				}
			},
		},
		{
			name: "repeated EHLO resets the transaction",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.cmd("MAIL FROM:<a@example.com>", 250)
				c.cmd("RCPT TO:<b@example.org>", 250)
				c.cmd("EHLO again.example", 250)
				c.cmd("DATA", 503)
				c.transaction("c@example.com", []string{"d@example.org"}, simpleMsg)
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				m := srv.Messages()[0]
				if m.From != "c@example.com" || !slices.Equal(m.To, []string{"d@example.org"}) || m.Helo != "again.example" {
					t.Errorf("message %v from %q", m.Envelope, m.Helo)
				}
			},
		},
		{
			name: "RSET mid-transaction, two transactions in one session",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.cmd("MAIL FROM:<a@example.com>", 250)
				c.cmd("RCPT TO:<b@example.org>", 250)
				c.cmd("RSET", 250)
				c.cmd("DATA", 503)
				c.transaction("a@example.com", []string{"c@example.org"}, simpleMsg)
				c.transaction("d@example.com", []string{"e@example.org"}, simpleMsg)
				c.cmd("DATA", 503) // the transaction ended with the message
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				msgs := srv.Messages()
				if len(msgs) != 2 || !slices.Equal(msgs[0].To, []string{"c@example.org"}) || msgs[1].From != "d@example.com" || !slices.Equal(msgs[1].To, []string{"e@example.org"}) {
					t.Errorf("messages %v", msgs)
				}
			},
		},
		{
			name: "pipelined commands get their replies in order",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.write("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n")
				for _, code := range []int{250, 250, 250, 354} {
					c.expect(code)
				}
				c.write(simpleMsg + ".\r\nMAIL FROM:<x@example.com>\r\nRCPT TO:<y@example.org>\r\nNOOP\r\nQUIT\r\n")
				for _, code := range []int{250, 250, 250, 250, 221} {
					c.expect(code)
				}
				c.expectClosed()
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				if msgs := srv.Messages(); len(msgs) != 1 || len(msgs[0].To) != 2 {
					t.Errorf("messages %v", msgs)
				}
			},
		},
	})
}

// TestCommandSyntax checks the syntax of commands and their arguments, and what is advertised.
func TestCommandSyntax(t *testing.T) {
	runScripts(t, []scriptTest{
		{
			name: "address literal in EHLO",
			script: func(c *rawClient) {
				c.cmd("EHLO [127.0.0.1]", 250)
				c.cmd("HELO [IPv6:::1]", 250)
			},
		},
		{
			name: "unknown and malformed verbs",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.cmd("XYZZ plugh", 500)
				c.cmd("VRFY bob", 252)
				c.cmd("EXPN list", 502)
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				r := srv.Rejections()
				if len(r) != 2 || r[0].Stage != 0 || r[0].Command != "XYZZ plugh" {
					t.Errorf("rejections %+v, want the unknown verb and EXPN at the zero Stage", r)
				}
			},
		},
		{
			name: "command line over 2000 bytes is 500 5.5.2 and the session goes on",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				if text := c.cmd("MAIL FROM:<"+strings.Repeat("a", 2000)+"@example.com>", 500); !strings.HasPrefix(text, "5.5.2") {
					c.t.Errorf("reply %q", text)
				}
				c.cmd("NOOP "+strings.Repeat("x", 20000), 500) // longer than any buffer
				c.transaction("a@example.com", []string{"b@example.org"}, simpleMsg)
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				if r := srv.Rejections(); len(r) != 2 || r[0].Stage != smtptest.StageMail || r[1].Stage != smtptest.StageNoop {
					t.Errorf("rejections %v", r)
				}
			},
		},
		{
			name: "a 2000-byte command line is fine",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.cmd("NOOP "+strings.Repeat("x", 1995), 250)
			},
		},
		{
			name: "quoted local part reaches the recipient check unquoted",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.transaction("a@example.com", []string{`"bob smith"@example.org`}, simpleMsg)
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				if got := srv.Messages()[0].To; !slices.Equal(got, []string{"bob smith@example.org"}) {
					t.Errorf("To = %q", got)
				}
			},
		},
		{
			name: "lenient address syntax, sender without domain refused",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.cmd("MAIL FROM: <a@example.com>", 250)
				c.cmd("RSET", 250)
				c.cmd("MAIL FROM:a@example.com", 250)
				c.cmd("RSET", 250)
				c.cmd("MAIL FROM:<alice>", 501)
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				if r := srv.Rejections(); len(r) != 1 || r[0].Arg != "alice" || r[0].Reply.Code != 501 {
					t.Errorf("rejections %+v", r)
				}
			},
		},
		{
			name: "DSN and SMTPUTF8 are advertised",
			script: func(c *rawClient) {
				ehlo := c.cmd("EHLO client.example", 250)
				for _, ext := range []string{"PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "CHUNKING", "SMTPUTF8", "DSN", "SIZE "} {
					if !strings.Contains(ehlo, "\n"+ext) {
						c.t.Errorf("EHLO reply lacks %s:\n%s", ext, ehlo)
					}
				}
				c.cmd("MAIL FROM:<ålice@example.com> SMTPUTF8", 250)
				c.cmd("RCPT TO:<bøb@example.org> NOTIFY=NEVER", 250)
			},
		},
	})
}

// TestDataBody checks DATA bodies: dot-stuffing, smuggling, bytes kept, a client that leaves.
func TestDataBody(t *testing.T) {
	runScripts(t, []scriptTest{
		{
			name: "dot-stuffing removed, long data lines kept",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.transaction("a@example.com", []string{"b@example.org"},
					"Subject: dots\r\n\r\n..hello\r\n....\r\n.unstuffed\r\n"+strings.Repeat("z", 100000)+"\r\nend\r\n")
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				want := "Subject: dots\r\n\r\n.hello\r\n...\r\nunstuffed\r\n" + strings.Repeat("z", 100000) + "\r\nend\r\n"
				if got := string(srv.Messages()[0].Data); got != want {
					t.Errorf("Data differs: got %d bytes, want %d", len(got), len(want))
				}
			},
		},
		{
			name: "dot and bare LF does not end the data (smuggling)",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.cmd("MAIL FROM:<a@example.com>", 250)
				c.cmd("RCPT TO:<b@example.org>", 250)
				c.cmd("DATA", 354)
				c.write("Subject: smuggle\r\n\r\nbody\r\n.\nMAIL FROM:<evil@example.net>\nRCPT TO:<victim@example.org>\nDATA\n")
				c.write("smuggled\r\n.\r\n")
				c.expect(250)
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				msgs := srv.Messages()
				want := "Subject: smuggle\r\n\r\nbody\r\n\nMAIL FROM:<evil@example.net>\nRCPT TO:<victim@example.org>\nDATA\nsmuggled\r\n"
				if len(msgs) != 1 || string(msgs[0].Data) != want {
					t.Errorf("got %d messages, first %q", len(msgs), msgs[0].Data)
				}
			},
		},
		{
			name: "bare LF, bare CR, NUL and 8-bit data recorded byte for byte",
			script: func(c *rawClient) {
				c.write("EHLO client.example\n") // bare LF command
				c.expect(250)
				c.cmd("MAIL FROM:<a@example.com>", 250)
				c.cmd("RCPT TO:<b@example.org>", 250)
				c.cmd("DATA", 354)
				c.write("Subject: caf\xe9\nX: \x00nul\n\ncaf\xc3\xa9\rcr-only\r\n.\r\n")
				c.expect(250)
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				if got := string(srv.Messages()[0].Data); got != "Subject: caf\xe9\nX: \x00nul\n\ncaf\xc3\xa9\rcr-only\r\n" {
					t.Errorf("Data = %q", got)
				}
			},
		},
		{
			name: "client drops mid-DATA: nothing recorded, next client served",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.cmd("MAIL FROM:<a@example.com>", 250)
				c.cmd("RCPT TO:<b@example.org>", 250)
				c.cmd("DATA", 354)
				c.write("Subject: dropped\r\n\r\nhalf")
				c.nc.Close()
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				c := dial(t, srv, 220)
				c.cmd("EHLO next.example", 250)
				c.transaction("a@example.com", []string{"b@example.org"}, simpleMsg)
				if msgs := srv.Messages(); len(msgs) != 1 || msgs[0].Helo != "next.example" {
					t.Errorf("messages %v", msgs)
				}
				if r := srv.Rejections(); len(r) != 0 {
					t.Errorf("a reply to a client that left is recorded as a rejection: %v", r)
				}
			},
		},
	})
}

// TestBDAT checks BDAT (RFC 3030): chunks, DATA inside a transfer, chunks without a transaction.
func TestBDAT(t *testing.T) {
	runScripts(t, []scriptTest{
		{
			name: "BDAT in chunks",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.cmd("MAIL FROM:<a@example.com>", 250)
				c.cmd("RCPT TO:<b@example.org>", 250)
				c.write("BDAT 9\r\nSubject: ")
				c.expect(250)
				c.write("BDAT 0\r\n")
				c.expect(250)
				c.write("BDAT 14 LAST\r\nx\r\n\r\n.\r\nQUIT\r\n") // not a command: chunk bytes
				c.expect(250)
				c.cmd("NOOP", 250)
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				if got := string(srv.Messages()[0].Data); got != "Subject: x\r\n\r\n.\r\nQUIT\r\n" {
					t.Errorf("Data = %q", got)
				}
			},
		},
		{
			name: "DATA after BDAT is 503, after BDAT 0 too, and the transfer goes on",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.cmd("MAIL FROM:<a@example.com>", 250)
				c.cmd("RCPT TO:<b@example.org>", 250)
				c.cmd("BDAT 0", 250)
				c.cmd("DATA", 503) // RFC 3030 2
				c.cmd("NOOP", 250)
				c.cmd("DATA", 503)
				c.write("BDAT 3\r\nSub")
				c.expect(250)
				c.cmd("DATA", 503)
				c.write("BDAT 9 LAST\r\nject: x\r\n")
				c.expect(250)
				// A new transaction may use DATA again.
				c.cmd("MAIL FROM:<a@example.com>", 250)
				c.cmd("RCPT TO:<b@example.org>", 250)
				c.cmd("BDAT 0", 250)
				c.cmd("RSET", 250)
				c.cmd("MAIL FROM:<a@example.com>", 250)
				c.cmd("RCPT TO:<b@example.org>", 250)
				c.cmd("DATA", 354)
				c.write("Subject: y\r\n.\r\n")
				c.expect(250)
			},
			check: func(t *testing.T, srv *smtptest.Server) {
				msgs := srv.Messages()
				if len(msgs) != 2 || string(msgs[0].Data) != "Subject: x\r\n" || string(msgs[1].Data) != "Subject: y\r\n" {
					t.Errorf("messages %v", msgs)
				}
				var codes []int
				for _, r := range srv.Rejections() {
					codes = append(codes, r.Reply.Code)
				}
				if !slices.Equal(codes, []int{503, 503, 503}) {
					t.Errorf("rejections %v", srv.Rejections())
				}
			},
		},
		{
			name: "BDAT without a transaction consumes its chunk",
			script: func(c *rawClient) {
				c.cmd("EHLO client.example", 250)
				c.write("BDAT 6 LAST\r\nQUIT\r\n")
				c.expect(503)
				c.cmd("NOOP", 250)
			},
		},
	})
}

// A first BDAT of zero bytes followed by a client that leaves used to race
// go-smtp's BDAT goroutine against its Close (a nil session, a recovered
// panic that go-smtp logs). The front answers such a chunk itself.
func TestEmptyFirstBDATThenDisconnect(t *testing.T) {
	tb := tbtest.Run(t, func(tb *tbtest.TB) {
		srv := smtptest.NewServer(tb)
		for range 200 {
			c := dial(t, srv, 220)
			c.write("EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nBDAT 0\r\n")
			for _, code := range []int{250, 250, 250, 250} {
				c.expect(code)
			}
			c.nc.Close()
		}
		c := dial(t, srv, 220) // BDAT 0 then real chunks still make a message
		c.write("EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nBDAT 0\r\n" + bdat("Subject: z\r\n\r\n", false) + bdat("", true))
		for _, code := range []int{250, 250, 250, 250, 250, 250} {
			c.expect(code)
		}
		if m := srv.Messages(); len(m) != 1 || string(m[0].Data) != "Subject: z\r\n\r\n" {
			t.Errorf("messages %v", m)
		}
	})
	if strings.Contains(tb.Text(), "panic") {
		t.Errorf("the server logged a panic:\n%s", tb.Text())
	}
}

func TestTooManyErrorsClose(t *testing.T) {
	// go-smtp closes a session after its fourth syntax error; the front
	// passes that through and records it.
	srv := smtptest.NewServer(t)
	c := dial(t, srv, 220)
	for range 3 {
		c.cmd("XY", 501)
	}
	c.write("XY\r\n")
	c.expect(501)
	c.expect(500)
	c.expectClosed()
}

func TestMultiLineRepliesAreOneWrite(t *testing.T) {
	// The EHLO reply is several lines; the front sends it in one write, so
	// one read of a few KiB gets all of it.
	srv := smtptest.NewServer(t)
	nc, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(ioBound))
	buf := make([]byte, 4096)
	if _, err := nc.Read(buf); err != nil { // greeting
		t.Fatal(err)
	}
	nc.Write([]byte("EHLO client.example\r\n"))
	n, err := nc.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(buf[:n]); strings.Count(got, "\r\n") < 5 || !strings.Contains(got, "250 ") {
		t.Errorf("one read got %q; want the whole EHLO reply", got)
	}
}
