package smtptest_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"net/smtp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"
	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/internal/tbtest"
)

func TestRecordsEnvelopeDataAndSessionFacts(t *testing.T) {
	srv := smtptest.NewServer(t)
	before := time.Now()
	sendMail(t, srv, "alice@example.com", []string{"bob@example.org", "carol@example.org"}, simpleMsg)
	after := time.Now()

	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if diff := cmp.Diff(smtptest.Envelope{From: "alice@example.com", To: []string{"bob@example.org", "carol@example.org"}}, m.Envelope); diff != "" {
		t.Errorf("envelope mismatch (-want +got):\n%s", diff)
	}
	if string(m.Data) != simpleMsg {
		t.Errorf("Data = %q, want %q", m.Data, simpleMsg)
	}
	if m.Helo != "localhost" { // net/smtp says EHLO localhost
		t.Errorf("Helo = %q, want localhost", m.Helo)
	}
	if m.Remote.Addr() != netip.MustParseAddr("127.0.0.1") || m.Remote.Port() == 0 {
		t.Errorf("Remote = %v, want 127.0.0.1:port", m.Remote)
	}
	if m.TLS != nil || m.AuthUser != "" {
		t.Errorf("TLS = %v, AuthUser = %q; want neither", m.TLS, m.AuthUser)
	}
	if m.MailOptions.Body != gosmtp.Body8BitMIME || !m.MailOptions.UTF8 {
		t.Errorf("MailOptions = %+v, want BODY=8BITMIME and SMTPUTF8 (net/smtp sends both)", m.MailOptions)
	}
	if m.RcptOptions != nil {
		t.Errorf("RcptOptions = %v, want nil: no recipient had parameters", m.RcptOptions)
	}
	if m.ConnID != 1 {
		t.Errorf("ConnID = %d, want 1", m.ConnID)
	}
	if m.Received.Before(before) || m.Received.After(after) {
		t.Errorf("Received = %v, not between %v and %v", m.Received, before, after)
	}
}

func TestMailParametersRecorded(t *testing.T) {
	srv := smtptest.NewServer(t)
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.cmd("MAIL FROM:<alice@example.com> SIZE=100 BODY=7BIT RET=HDRS ENVID=abc+2Bdef", 250)
	c.cmd("RCPT TO:<ann@example.org>", 250)
	c.cmd("RCPT TO:<bob@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.org", 250)
	c.cmd("DATA", 354)
	c.write(simpleMsg + ".\r\n")
	c.expect(250)

	m := srv.Messages()[0]
	want := gosmtp.MailOptions{Size: 100, Body: gosmtp.Body7Bit, Return: gosmtp.DSNReturnHeaders, EnvelopeID: "abc+def"}
	if diff := cmp.Diff(want, m.MailOptions); diff != "" {
		t.Errorf("MailOptions mismatch (-want +got):\n%s", diff)
	}
	wantRcpt := []gosmtp.RcptOptions{{}, { // ann had none; bob's
		Notify:                []gosmtp.DSNNotify{gosmtp.DSNNotifySuccess, gosmtp.DSNNotifyFailure},
		OriginalRecipientType: gosmtp.DSNAddressTypeRFC822,
		OriginalRecipient:     "bob@example.org",
	}}
	if diff := cmp.Diff(wantRcpt, m.RcptOptions); diff != "" {
		t.Errorf("RcptOptions mismatch (-want +got):\n%s", diff)
	}
	if m.Helo != "client.example" {
		t.Errorf("Helo = %q, want client.example", m.Helo)
	}
}

// Guarantee 1: a message is in the record before the client reads the 250
// to its final dot. Checked right after each 250, with no waiting.
func TestRecordedBeforeAcknowledged(t *testing.T) {
	srv := smtptest.NewServer(t)
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	for i := range 200 {
		c.transaction("a@example.com", []string{"b@example.org"}, fmt.Sprintf("Subject: %d\r\n\r\nbody %d\r\n", i, i))
		if n := len(srv.Messages()); n != i+1 {
			t.Fatalf("after the 250 for message %d, Messages() has %d", i+1, n)
		}
	}
	// BDAT too: go-smtp runs Data on a goroutine of its own there.
	for i := range 50 {
		c.cmd("MAIL FROM:<a@example.com>", 250)
		c.cmd("RCPT TO:<b@example.org>", 250)
		body := fmt.Sprintf("Subject: bdat %d\r\n\r\nbody\r\n", i)
		c.write(fmt.Sprintf("BDAT %d LAST\r\n%s", len(body), body))
		c.expect(250)
		if n := len(srv.Messages()); n != 201+i {
			t.Fatalf("after the 250 for BDAT message %d, Messages() has %d", i+1, n)
		}
	}
}

func TestMessagesIsASnapshotCallersCannotChange(t *testing.T) {
	srv := smtptest.NewServer(t)
	sendMail(t, srv, "alice@example.com", []string{"bob@example.org"}, simpleMsg)
	first := srv.Messages()
	first[0].Data[0] = 'X'
	first[0].To[0] = "mallory@example.net"
	first[0].From = "mallory@example.net"
	first[0] = nil

	sendMail(t, srv, "alice@example.com", []string{"carol@example.org"}, simpleMsg)
	if len(first) != 1 {
		t.Errorf("an earlier snapshot grew to %d messages", len(first))
	}
	again := srv.Messages()
	if len(again) != 2 || again[0] == nil {
		t.Fatalf("record changed through a snapshot: %v", again)
	}
	if string(again[0].Data) != simpleMsg || again[0].To[0] != "bob@example.org" || again[0].From != "alice@example.com" {
		t.Errorf("record changed through a snapshot: %+v", again[0])
	}

	rejs := func() []smtptest.Rejection { return srv.Rejections() }
	c := dial(t, srv, 220)
	c.cmd("EHLO x", 250)
	c.cmd("RCPT TO:<a@b>", 503)
	r := rejs()
	r[0].Arg = "changed"
	if rejs()[0].Arg == "changed" {
		t.Error("Rejections() returned the server's own slice")
	}
}

func TestNullSender(t *testing.T) {
	var got []string
	var mu sync.Mutex
	srv := smtptest.NewServer(t, smtptest.Hooks{
		ValidateSender: func(from string) error {
			mu.Lock()
			got = append(got, from)
			mu.Unlock()
			return nil
		},
	})
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.transaction("", []string{"bob@example.org"}, simpleMsg)
	if m := srv.Messages()[0]; m.From != "" {
		t.Errorf("From = %q, want \"\" for <>", m.From)
	}
	if !slices.Equal(got, []string{""}) {
		t.Errorf("ValidateSender called with %q, want [\"\"]", got)
	}
}

func TestResetForgetsRecordKeepsConfig(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.MaxRecipients(1), smtptest.Hooks{
		ValidateRecipient: func(to string) error {
			if to == "no@example.org" {
				return errors.New("no")
			}
			return nil
		},
	})
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.transaction("a@example.com", []string{"b@example.org"}, simpleMsg)
	c.cmd("MAIL FROM:<a@example.com>", 250)
	c.cmd("RCPT TO:<no@example.org>", 550)
	c.cmd("RSET", 250)
	if len(srv.Messages()) != 1 || len(srv.Rejections()) != 1 {
		t.Fatalf("before Reset: %d messages, %d rejections", len(srv.Messages()), len(srv.Rejections()))
	}

	srv.Reset()
	if len(srv.Messages()) != 0 || len(srv.Rejections()) != 0 {
		t.Fatalf("after Reset: %d messages, %d rejections", len(srv.Messages()), len(srv.Rejections()))
	}
	// Hooks and limits still apply, the open session goes on.
	c.cmd("MAIL FROM:<a@example.com>", 250)
	c.cmd("RCPT TO:<no@example.org>", 550)
	c.cmd("RCPT TO:<b@example.org>", 250)
	c.cmd("RCPT TO:<c@example.org>", 452)
	c.cmd("DATA", 354)
	c.write(simpleMsg + ".\r\n")
	c.expect(250)
	if len(srv.Messages()) != 1 || len(srv.Rejections()) != 2 {
		t.Errorf("after Reset and more traffic: %d messages, %d rejections; want 1 and 2", len(srv.Messages()), len(srv.Rejections()))
	}
	if !strings.Contains(srv.Transcript(), "C: EHLO client.example") {
		t.Error("Reset dropped the transcript")
	}
}

func TestWaitForMessagesWakesOnArrival(t *testing.T) {
	srv := smtptest.NewServer(t)
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		<-release // the test is waiting (or about to): the sender works in the background
		for i := range 3 {
			if err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, fmt.Appendf(nil, "Subject: %d\r\n\r\nx\r\n", i)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	close(release)
	msgs := srv.WaitForMessages(3, ioBound)
	if len(msgs) < 3 {
		t.Fatalf("WaitForMessages returned %d messages", len(msgs))
	}
	for i, m := range msgs[:3] {
		if s, _ := m.Subject(); s != fmt.Sprint(i) {
			t.Errorf("message %d has subject %q", i, s)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := srv.WaitForMessages(0, 0); len(got) != 3 {
		t.Errorf("WaitForMessages(0, 0) = %d messages, want all 3 without waiting", len(got))
	}
}

func TestWaitForMessagesTimeoutFailsWithWhatArrived(t *testing.T) {
	tb := tbtest.Run(t, func(tb *tbtest.TB) {
		srv := smtptest.NewServer(tb)
		sendMail(t, srv, "alice@example.com", []string{"bob@example.org"}, simpleMsg)
		srv.WaitForMessages(2, 10*time.Millisecond)
		t.Error("WaitForMessages returned after its timeout; want it to stop the test")
	})
	if !tb.Fataled() {
		t.Fatal("WaitForMessages did not call Fatal")
	}
	out := tb.Text()
	for _, want := range []string{
		"WaitForMessages(2, 10ms): got 1 of 2 messages: context deadline exceeded",
		`1. from <alice@example.com> to <bob@example.org> subject "Hello"`,
		"C: MAIL FROM:<alice@example.com>",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("failure output lacks %q:\n%s", want, out)
		}
	}
}

func TestWaitForMessagesContext(t *testing.T) {
	srv := smtptest.NewServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	msgs, err := srv.WaitForMessagesContext(ctx, 1)
	if !errors.Is(err, context.Canceled) || len(msgs) != 0 {
		t.Errorf("with a canceled context: %d messages, %v", len(msgs), err)
	}

	// From another goroutine, while the test goroutine sends.
	got := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), ioBound)
		defer cancel()
		_, err := srv.WaitForMessagesContext(ctx, 1)
		got <- err
	}()
	sendMail(t, srv, "a@example.com", []string{"b@example.org"}, simpleMsg)
	if err := <-got; err != nil {
		t.Errorf("WaitForMessagesContext: %v", err)
	}

	// A server that closes ends the wait.
	closed := make(chan error, 1)
	go func() {
		_, err := srv.WaitForMessagesContext(context.Background(), 5)
		closed <- err
	}()
	srv.Close()
	if err := <-closed; !errors.Is(err, smtptest.ErrServerClosed) || !strings.Contains(err.Error(), "got 1 of 5") {
		t.Errorf("after Close: %v, want ErrServerClosed with the count", err)
	}
}

// Guarantee 2: nothing lost, nothing invented, under concurrent clients.
func TestConcurrentClientsNothingLostNothingInvented(t *testing.T) {
	const clients, perClient = 24, 25
	srv := smtptest.NewServer(t, smtptest.Hooks{
		ValidateRecipient: func(to string) error {
			if strings.HasPrefix(to, "refuse") {
				return errors.New("refused")
			}
			return nil
		},
	})
	var wg sync.WaitGroup
	sent := make([][]string, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			for j := range perClient {
				body := fmt.Sprintf("Subject: %d-%d\r\n\r\n%s\r\n.leading dot\r\n", i, j, strings.Repeat(fmt.Sprint(rng.Int()), rng.IntN(200)))
				to := "ok@example.org"
				if j%5 == 4 {
					to = "refuse@example.org"
				}
				err := smtp.SendMail(srv.Addr(), nil, fmt.Sprintf("c%d@example.com", i), []string{to}, []byte(body))
				switch {
				case err == nil:
					sent[i] = append(sent[i], body)
				case smtpCode(err) != 550:
					t.Errorf("client %d: %v", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()

	want := map[string]int{}
	for _, bodies := range sent {
		for _, b := range bodies {
			want[b]++
		}
	}
	got := map[string]int{}
	for _, m := range srv.Messages() {
		got[string(m.Data)]++
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("recorded messages differ from acknowledged ones (-acknowledged +recorded):\n%s", diff)
	}
	if n := len(srv.Rejections()); n != clients*perClient/5 {
		t.Errorf("%d rejections, want %d", n, clients*perClient/5)
	}
}

func TestRejectionString(t *testing.T) {
	r := smtptest.Rejection{Stage: smtptest.StageRcpt, Arg: "b@example.org", Reply: gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "no\nsuch user"}}
	if got, want := r.String(), "RCPT b@example.org: 550 5.1.1 no / such user"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestDeleteMessages(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.RejectRecipient("nobody@example.org"))
	for i := range 3 {
		sendMail(t, srv, "a@example.com", []string{"b@example.org"}, fmt.Sprintf("Subject: %d\r\n\r\nx\r\n", i+1))
	}
	c := dial(t, srv, 220)
	c.cmd("EHLO x", 250)
	c.cmd("MAIL FROM:<a@example.com>", 250)
	c.cmd("RCPT TO:<nobody@example.org>", 550)
	c.cmd("QUIT", 221)
	c.expectClosed()

	if n := srv.DeleteMessages(1, 3, 99); n != 2 {
		t.Errorf("DeleteMessages = %d, want 2", n)
	}
	if msgs := srv.Messages(); len(msgs) != 1 || msgs[0].ID != 2 {
		t.Errorf("Messages = %v", msgs)
	}
	if len(srv.Rejections()) != 1 {
		t.Errorf("Rejections = %v; DeleteMessages keeps them", srv.Rejections())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if got, err := srv.WaitForMessageCount(ctx, 3); got != 3 || err != nil {
		t.Errorf("WaitForMessageCount(3) = %d, %v; deleted messages still count", got, err)
	}
	sendMail(t, srv, "a@example.com", []string{"b@example.org"}, "Subject: 4\r\n\r\nx\r\n")
	if msgs := srv.Messages(); len(msgs) != 2 || msgs[1].ID != 4 {
		t.Errorf("after another message: %v (IDs are not reused)", msgs)
	}
}

// TestWaitForQuiet: it returns once no message came for the quiet time,
// with every message of a sender that did not pause that long; if ctx
// ends first, an error; after Close, ErrServerClosed.
func TestWaitForQuiet(t *testing.T) {
	srv := smtptest.NewServer(t)
	go func() {
		for i := range 4 {
			smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte(fmt.Sprintf("Subject: %d\r\n\r\nx\r\n", i)))
		}
	}()
	srv.WaitForMessages(1, 10*time.Second)
	msgs, err := srv.WaitForQuiet(context.Background(), 2*time.Second)
	if err != nil || len(msgs) != 4 {
		t.Fatalf("WaitForQuiet = %d messages, %v; want 4", len(msgs), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := srv.WaitForQuiet(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("with ctx ended: %v", err)
	}
	srv.Close()
	if _, err := srv.WaitForQuiet(context.Background(), time.Hour); !errors.Is(err, smtptest.ErrServerClosed) {
		t.Errorf("after Close: %v", err)
	}
}
