package smtptest_test

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/internal/tbtest"
)

// 32 clients send 100 messages each with unique bodies while faults fire
// at random (replayable from the seed): every message a client saw
// acknowledged with 250 is recorded exactly once, byte for byte, and no
// other message is.
func TestStressNothingLostNothingInventedUnderFaults(t *testing.T) {
	const clients, perClient = 32, 100
	soft := &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "chaos"}
	srv := smtptest.NewServer(t, smtptest.Seed(2026),
		smtptest.Fault{Stage: smtptest.StageMail, Rate: 0.02, Drop: true},
		smtptest.Fault{Stage: smtptest.StageRcpt, Rate: 0.05, Reply: soft},
		smtptest.Fault{Stage: smtptest.StageData, Rate: 0.02, Drop: true, AfterBytes: 100},
		smtptest.Fault{Stage: smtptest.StageEndOfData, Rate: 0.05, Reply: soft},
		smtptest.Fault{Stage: smtptest.StageEndOfData, Rate: 0.02, Drop: true},
	)

	acked := make([][]string, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 42))
			var c *gosmtp.Client
			defer func() {
				if c != nil {
					c.Close()
				}
			}()
			for j := range perClient {
				body := fmt.Sprintf("Subject: %d/%d\r\n\r\n%s\r\n.dot line\r\n", i, j, strings.Repeat(fmt.Sprintf("%x", rng.Uint64()), 1+rng.IntN(300)))
				if c == nil {
					var err error
					if c, err = gosmtp.Dial(srv.Addr()); err != nil {
						t.Errorf("client %d: %v", i, err)
						return
					}
				}
				ok, ioErr := sendOne(c, body)
				if ok {
					acked[i] = append(acked[i], body)
				}
				if ioErr { // the server dropped the connection: a new one
					c.Close()
					c = nil
				}
			}
		}()
	}
	wg.Wait()

	want := map[string]int{}
	for _, bodies := range acked {
		for _, b := range bodies {
			want[b]++
		}
	}
	got := map[string]int{}
	for _, m := range srv.Messages() {
		got[string(m.Data)]++
	}
	if len(want) == 0 || len(want) == clients*perClient {
		t.Errorf("%d of %d messages acknowledged: the faults did not fire, or fired always", len(want), clients*perClient)
	}
	for b, n := range got {
		if want[b] != n {
			t.Errorf("recorded %d times, acknowledged %d times: %.40q", n, want[b], b)
		}
	}
	for b, n := range want {
		if got[b] != n {
			t.Errorf("acknowledged %d times, recorded %d times: %.40q", n, got[b], b)
		}
	}
	drops, refusals := 0, 0
	for _, r := range srv.Rejections() {
		if r.Reply.Code == 0 {
			drops++
		} else {
			refusals++
		}
	}
	t.Logf("%d acknowledged and recorded, %d refusals, %d drops", len(want), refusals, drops)
}

// sendOne sends one message on c. ok: the final reply was 250. ioErr: the
// connection is gone.
func sendOne(c *gosmtp.Client, body string) (ok, ioErr bool) {
	check := func(err error) bool {
		if err == nil {
			return true
		}
		var se *gosmtp.SMTPError
		if !errors.As(err, &se) {
			ioErr = true
		} else {
			c.Reset()
		}
		return false
	}
	if !check(c.Mail("sender@example.com", nil)) || !check(c.Rcpt("rcpt@example.org", nil)) {
		return false, ioErr
	}
	w, err := c.Data()
	if !check(err) {
		return false, ioErr
	}
	if _, err := io.WriteString(w, body); err != nil {
		return false, true
	}
	return check(w.Close()), ioErr
}

// Close with 16 clients mid-DATA (and mid-BDAT) returns without waiting for
// them, reports nothing stuck, and goleak (TestMain) finds nothing left.
func TestStressCloseWithClientsMidData(t *testing.T) {
	var clients []*rawClient
	tb := tbtest.Run(t, func(tb *tbtest.TB) {
		srv := smtptest.NewServer(tb, smtptest.CloseTimeout(time.Minute))
		for i := range 16 {
			c := dial(t, srv, 220)
			c.cmd("EHLO client.example", 250)
			c.cmd("MAIL FROM:<a@example.com>", 250)
			c.cmd("RCPT TO:<b@example.org>", 250)
			if i%4 == 3 {
				c.write("BDAT 100000\r\nSubject: chunk\r\n\r\nonly a part of it")
			} else {
				c.cmd("DATA", 354)
				c.write(fmt.Sprintf("Subject: %d\r\n\r\n%s", i, strings.Repeat("x", 10000))) // no end
			}
			clients = append(clients, c)
		}
		srv.Close()
		if n := len(srv.Messages()); n != 0 {
			t.Errorf("%d unfinished messages recorded", n)
		}
	})
	if out := tb.Text(); out != "" {
		t.Errorf("Close reported:\n%s", out) // "still running" would mean it hit the bound
	}
	for _, c := range clients {
		c.expectClosed()
	}
}

// A client that sends one byte at a time, and one that stops mid-line, do
// not hold up the other clients or Close.
func TestStressSlowAndStalledClients(t *testing.T) {
	tb := tbtest.Run(t, func(tb *tbtest.TB) {
		srv := smtptest.NewServer(tb, smtptest.CloseTimeout(time.Minute))

		stalled := connect(t, srv)
		stalled.expect(220)
		stalled.write("EHLO stalled.example\r\nMAIL FROM:<half-a-li") // and nothing more

		trickle := connect(t, srv)
		trickle.expect(220)
		trickleDone := make(chan error, 1)
		go func() {
			msg := "EHLO trickle.example\r\nMAIL FROM:<t@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: trickle\r\n\r\nslow\r\n.\r\n"
			for i := range len(msg) {
				if _, err := trickle.nc.Write([]byte{msg[i]}); err != nil {
					trickleDone <- err
					return
				}
			}
			trickleDone <- nil
		}()

		// Meanwhile, others are served.
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := goSMTPSend(srv.Addr(), fmt.Sprintf("fast%d@example.com", i), []string{"b@example.org"}, simpleMsg); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if err := <-trickleDone; err != nil {
			t.Error(err)
		}
		for _, code := range []int{250, 250, 250, 354, 250} {
			trickle.expect(code)
		}
		fast := 0
		for _, m := range srv.Messages() {
			if strings.HasPrefix(m.From, "fast") {
				fast++
			}
		}
		if fast != 8 || len(srv.Messages()) != 9 {
			t.Errorf("%d fast messages of 8, %d in all (want 9)", fast, len(srv.Messages()))
		}
		srv.Close()         // the stalled client is still mid-line
		stalled.expect(250) // its EHLO was answered before Close
		stalled.expectClosed()
	})
	if out := tb.Text(); out != "" {
		t.Errorf("reported:\n%s", out)
	}
}

// One byte under the size cap is recorded, one over is refused with 552
// and not recorded.
func TestStressSizeCapEdges(t *testing.T) {
	const capBytes = 64 << 10
	srv := smtptest.NewServer(t, smtptest.MaxMessageBytes(capBytes))
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	for _, tc := range []struct {
		size int
		want int
	}{{capBytes - 1, 250}, {capBytes, 250}, {capBytes + 1, 552}} {
		body := "Subject: size\r\n\r\n" + strings.Repeat("s", tc.size-len("Subject: size\r\n\r\n")-2) + "\r\n"
		c.cmd("MAIL FROM:<a@example.com>", 250)
		c.cmd("RCPT TO:<b@example.org>", 250)
		c.cmd("DATA", 354)
		c.write(body + ".\r\n")
		if code, text := c.reply(); code != tc.want {
			t.Errorf("%d bytes: %d %s, want %d", tc.size, code, text, tc.want)
		}
	}
	msgs := srv.Messages()
	if len(msgs) != 2 || len(msgs[0].Data) != capBytes-1 || len(msgs[1].Data) != capBytes {
		t.Errorf("recorded sizes: %v", sizes(msgs))
	}
}

func sizes(msgs []*smtptest.Message) []int {
	var s []int
	for _, m := range msgs {
		s = append(s, len(m.Data))
	}
	return s
}
