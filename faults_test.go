package smtptest_test

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/smtp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/internal/tbtest"
)

// walk drives a raw session up to stage and sends the command of that
// stage, returning the client; the caller reads what follows. At
// StageConnect nothing is sent (the greeting is the stage's reply), at
// StageEndOfData the body and its dot are.
func walk(t *testing.T, srv *smtptest.Server, stage smtptest.Stage) *rawClient {
	t.Helper()
	c := connect(t, srv)
	if stage == smtptest.StageConnect {
		return c
	}
	c.expect(220)
	steps := []struct {
		stage smtptest.Stage
		line  string
		code  int
	}{
		{smtptest.StageHelo, "EHLO client.example", 250},
		{smtptest.StageAuth, "AUTH PLAIN AHVzZXIAcGFzcw==", 235}, // "\0user\0pass"
		{smtptest.StageRset, "RSET", 250},
		{smtptest.StageNoop, "NOOP", 250},
		{smtptest.StageMail, "MAIL FROM:<alice@example.com>", 250},
		{smtptest.StageRcpt, "RCPT TO:<bob@example.org>", 250},
		{smtptest.StageData, "DATA", 354},
		{smtptest.StageEndOfData, simpleMsg + ".", 250},
		{smtptest.StageQuit, "QUIT", 221},
	}
	for _, s := range steps {
		c.write(s.line + "\r\n")
		if s.stage == stage {
			return c
		}
		if code, text := c.reply(); s.code != 0 && code != s.code {
			t.Fatalf("%q before the faulted stage: %d %s", s.line, code, text)
		}
	}
	t.Fatalf("no step for %v", stage)
	return nil
}

// walkUser is the account walk authenticates as.
var walkUser = smtptest.Users(map[string]string{"user": "pass"})

// checkNothingRecorded fails unless the record holds what walk delivered
// before the faulted stage: a message before QUIT, nothing otherwise.
func checkNothingRecorded(t *testing.T, srv *smtptest.Server, stage smtptest.Stage) {
	t.Helper()
	want := 0
	if stage == smtptest.StageQuit {
		want = 1 // walk delivers a message before QUIT
	}
	if n := len(srv.Messages()); n != want {
		t.Errorf("%d messages recorded, want %d", n, want)
	}
}

// passCode is the reply each stage's command gets when no fault stops it.
var passCode = map[smtptest.Stage]int{
	smtptest.StageConnect: 220, smtptest.StageHelo: 250, smtptest.StageAuth: 235,
	smtptest.StageMail: 250, smtptest.StageRcpt: 250, smtptest.StageData: 354,
	smtptest.StageEndOfData: 250, smtptest.StageRset: 250, smtptest.StageNoop: 250, smtptest.StageQuit: 221,
}

func TestFaultAtEveryStageEveryAction(t *testing.T) {
	for stage := smtptest.StageConnect; stage <= smtptest.StageQuit; stage++ {
		t.Run(stage.String()+"/reply", func(t *testing.T) {
			reply := &gosmtp.SMTPError{Code: 450, EnhancedCode: gosmtp.EnhancedCode{4, 7, 0}, Message: "fault at " + stage.String()}
			if stage == smtptest.StageConnect {
				reply.EnhancedCode = gosmtp.EnhancedCodeNotSet // a greeting has none unless given
			}
			srv := smtptest.NewServer(t, walkUser, smtptest.Fault{Stage: stage, Reply: reply})
			c := walk(t, srv, stage)
			code, text := c.reply()
			wantText := "4.7.0 fault at " + stage.String()
			if stage == smtptest.StageConnect {
				wantText = "fault at connect"
			}
			if code != 450 || text != wantText {
				t.Errorf("reply %d %q, want 450 %q", code, text, wantText)
			}
			rejs := srv.Rejections()
			if len(rejs) != 1 || rejs[0].Stage != stage || rejs[0].Reply.Code != 450 {
				t.Errorf("Rejections() = %v, want one 450 at %v", rejs, stage)
			}
			checkNothingRecorded(t, srv, stage)
			// The session goes on, as after any 4xx (a refused greeting:
			// 503 to the next command).
			next, want := "NOOP", 250
			switch stage {
			case smtptest.StageNoop:
				next = "RSET"
			case smtptest.StageConnect:
				want = 503
			}
			if stage != smtptest.StageQuit {
				c.cmd(next, want)
			}
		})
		t.Run(stage.String()+"/drop", func(t *testing.T) {
			srv := smtptest.NewServer(t, walkUser, smtptest.Fault{Stage: stage, Drop: true})
			c := walk(t, srv, stage)
			c.expectClosed()
			rejs := srv.Rejections()
			if len(rejs) != 1 || rejs[0].Stage != stage || rejs[0].Reply.Code != 0 {
				t.Errorf("Rejections() = %v, want one drop (code 0) at %v", rejs, stage)
			}
			checkNothingRecorded(t, srv, stage)
			if !strings.Contains(srv.Transcript(), "-- fault: connection dropped") {
				t.Errorf("transcript does not show the drop:\n%s", srv.Transcript())
			}
		})
		t.Run(stage.String()+"/delay", func(t *testing.T) {
			srv := smtptest.NewServer(t, walkUser, smtptest.Fault{Stage: stage, Delay: time.Millisecond})
			c := walk(t, srv, stage)
			if code, text := c.reply(); code != passCode[stage] {
				t.Errorf("after the delay: %d %s, want %d", code, text, passCode[stage])
			}
			if !strings.Contains(srv.Transcript(), "-- fault: delay 1ms") {
				t.Errorf("transcript does not show the delay:\n%s", srv.Transcript())
			}
			if r := srv.Rejections(); len(r) != 0 {
				t.Errorf("a delay was recorded as a rejection: %v", r)
			}
		})
	}
}

func TestFaultMatch(t *testing.T) {
	tests := []struct {
		name   string
		fault  smtptest.Fault
		script func(c *rawClient)
	}{
		{"RCPT exact, case-insensitive", smtptest.Fault{Stage: smtptest.StageRcpt, Match: "Bob@Example.ORG", Reply: &gosmtp.SMTPError{Code: 550, Message: "no"}},
			func(c *rawClient) {
				c.cmd("MAIL FROM:<a@example.com>", 250)
				c.cmd("RCPT TO:<bob@example.org>", 550)
				c.cmd("RCPT TO:<bobby@example.org>", 250)
			}},
		{"RCPT glob", smtptest.RejectRecipient("*@bad.example"),
			func(c *rawClient) {
				c.cmd("MAIL FROM:<a@example.com>", 250)
				c.cmd("RCPT TO:<x@BAD.example>", 550)
				c.cmd("RCPT TO:<x@bad.example.org>", 250)
				c.cmd("RCPT TO:<x@good.example>", 250)
			}},
		{"null sender", smtptest.RejectSender("<>"),
			func(c *rawClient) {
				c.cmd("MAIL FROM:<>", 550)
				c.cmd("MAIL FROM:<a@example.com>", 250)
			}},
		{"HELO domain", smtptest.Fault{Stage: smtptest.StageHelo, Match: "*.spam.example", Reply: &gosmtp.SMTPError{Code: 550, Message: "go away"}},
			func(c *rawClient) {
				c.cmd("HELO mx.spam.example", 550)
				c.cmd("EHLO client.example", 250)
			}},
		{"AUTH mechanism", smtptest.Fault{Stage: smtptest.StageAuth, Match: "login", Reply: &gosmtp.SMTPError{Code: 535, Message: "no"}},
			func(c *rawClient) {
				c.cmd("AUTH LOGIN", 535)
			}},
		{"DATA matches any recipient", smtptest.Fault{Stage: smtptest.StageData, Match: "*@slow.example", Reply: &gosmtp.SMTPError{Code: 451, Message: "later"}},
			func(c *rawClient) {
				c.cmd("MAIL FROM:<a@example.com>", 250)
				c.cmd("RCPT TO:<a@fast.example>", 250)
				c.cmd("RCPT TO:<b@slow.example>", 250)
				c.cmd("DATA", 451)
				c.cmd("RSET", 250)
				c.transaction("a@example.com", []string{"a@fast.example"}, simpleMsg)
			}},
		{"end of data matches recipients", smtptest.Fault{Stage: smtptest.StageEndOfData, Match: "b@example.org", Reply: &gosmtp.SMTPError{Code: 554, Message: "no"}},
			func(c *rawClient) {
				c.cmd("MAIL FROM:<a@example.com>", 250)
				c.cmd("RCPT TO:<b@example.org>", 250)
				c.cmd("DATA", 354)
				c.write(simpleMsg + ".\r\n")
				c.expect(554)
				c.transaction("a@example.com", []string{"c@example.org"}, simpleMsg)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.NewServer(t, tt.fault)
			c := dial(t, srv, 220)
			if tt.fault.Stage != smtptest.StageHelo {
				c.cmd("EHLO client.example", 250)
			}
			tt.script(c)
		})
	}
}

func TestFaultMultiLineReply(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.Fault{Stage: smtptest.StageMail, Reply: &gosmtp.SMTPError{
		Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 7, 1}, Message: "Sender blocked\nSee https://example.com/policy"}})
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.write("MAIL FROM:<a@example.com>\r\n")
	c.nc.SetReadDeadline(time.Now().Add(ioBound))
	var lines []string
	for len(lines) < 2 {
		line, err := c.r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line)
	}
	if want := []string{"550-Sender blocked\r\n", "550 5.7.1 See https://example.com/policy\r\n"}; !slices.Equal(lines, want) {
		t.Errorf("reply lines %q, want %q", lines, want)
	}
	if r := srv.Rejections(); len(r) != 1 || r[0].Reply.Message != "Sender blocked\nSee https://example.com/policy" {
		t.Errorf("Rejections() = %+v", r)
	}
}

func TestFaultTimesCountsFirings(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.Fault{Stage: smtptest.StageRcpt, Match: "*@flaky.example", Times: 2,
		Reply: &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 4, 1}, Message: "try later"}})
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.cmd("MAIL FROM:<a@example.com>", 250)
	c.cmd("RCPT TO:<a@other.example>", 250) // does not match: not a firing
	c.cmd("RCPT TO:<a@flaky.example>", 451)
	c.cmd("RCPT TO:<b@other.example>", 250)
	c.cmd("RCPT TO:<b@flaky.example>", 451)
	c.cmd("RCPT TO:<c@flaky.example>", 250) // fired twice: done
	srv.Reset()                             // the records go, the counters stay
	c.cmd("RCPT TO:<d@flaky.example>", 250)
	if n := len(srv.Rejections()); n != 0 {
		t.Errorf("%d rejections after Reset and no firing", n)
	}
}

// outcomes sends n RCPT commands on one connection and returns the reply
// codes.
func outcomes(t *testing.T, srv *smtptest.Server, c *rawClient, n int) []int {
	t.Helper()
	c.cmd("EHLO client.example", 250)
	c.cmd("MAIL FROM:<a@example.com>", 250)
	codes := make([]int, n)
	for i := range codes {
		c.write(fmt.Sprintf("RCPT TO:<r%d@example.org>\r\n", i))
		codes[i], _ = c.reply()
	}
	return codes
}

func TestFaultRateIsReproducibleFromTheSeed(t *testing.T) {
	flaky := smtptest.Fault{Stage: smtptest.StageRcpt, Rate: 0.3, Reply: &gosmtp.SMTPError{Code: 451, Message: "chaos"}}
	run := func(seed uint64) []int {
		srv := smtptest.NewServer(t, flaky, smtptest.Seed(seed))
		return outcomes(t, srv, dial(t, srv, 220), 60)
	}
	a, b, other := run(42), run(42), run(43)
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different outcomes:\n%v\n%v", a, b)
	}
	if slices.Equal(a, other) {
		t.Errorf("seeds 42 and 43 gave the same 60 outcomes: %v", a)
	}
	fired := 0
	for _, code := range a {
		if code == 451 {
			fired++
		}
	}
	if fired == 0 || fired == len(a) {
		t.Errorf("rate 0.3 fired %d times out of %d", fired, len(a))
	}

	// Each connection draws from its own generator: running connections 1
	// and 2 at once gives each the outcomes it has alone.
	srv := smtptest.NewServer(t, flaky, smtptest.Seed(42))
	if srv.Config().Seed != 42 {
		t.Errorf("Config().Seed = %d", srv.Config().Seed)
	}
	c1, c2 := dial(t, srv, 220), dial(t, srv, 220) // connections 1 and 2, in this order
	var wg sync.WaitGroup
	var got1, got2 []int
	wg.Add(2)
	go func() { defer wg.Done(); got1 = outcomes(t, srv, c1, 60) }()
	go func() { defer wg.Done(); got2 = outcomes(t, srv, c2, 60) }()
	wg.Wait()
	if !slices.Equal(got1, a) {
		t.Errorf("connection 1 under concurrency: %v, alone: %v", got1, a)
	}
	alone2 := smtptest.NewServer(t, flaky, smtptest.Seed(42))
	dial(t, alone2, 220).nc.Close() // connection 1
	if want := outcomes(t, alone2, dial(t, alone2, 220), 60); !slices.Equal(got2, want) {
		t.Errorf("connection 2 under concurrency: %v, alone: %v", got2, want)
	}
}

func TestSeedIsLoggedWhenTheTestFails(t *testing.T) {
	tb := tbtest.Run(t, func(tb *tbtest.TB) {
		smtptest.NewServer(tb, smtptest.Seed(7), smtptest.Fault{Stage: smtptest.StageRcpt, Rate: 0.5, Drop: true})
		tb.Errorf("failed")
	})
	if !strings.Contains(tb.Text(), "drew from smtptest.Seed(7)") {
		t.Errorf("log lacks the seed:\n%s", tb.Text())
	}
}

func TestInjectWhileConnectedRemoveAndClear(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.RejectRecipient("start@example.org"))
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.cmd("MAIL FROM:<a@example.com>", 250)
	c.cmd("RCPT TO:<start@example.org>", 550)
	c.cmd("RCPT TO:<b@example.org>", 250)

	remove := srv.Inject(smtptest.RejectRecipient("b@example.org"))
	c.cmd("RCPT TO:<b@example.org>", 550) // the next command of a connected client
	other := srv.Inject(smtptest.RejectRecipient("c@example.org"))
	remove()
	remove() // twice is harmless
	c.cmd("RCPT TO:<b@example.org>", 250)
	c.cmd("RCPT TO:<c@example.org>", 550)
	c.cmd("RCPT TO:<start@example.org>", 550)

	srv.ClearFaults() // those given at start too
	c.cmd("RCPT TO:<c@example.org>", 250)
	c.cmd("RCPT TO:<start@example.org>", 250)
	other()
	srv.Inject(smtptest.RejectRecipient("d@example.org"))
	c.cmd("RCPT TO:<d@example.org>", 550)
}

func TestFaultsComposeAndActBeforeHooks(t *testing.T) {
	var mu sync.Mutex
	var checked []string
	srv := smtptest.NewServer(t,
		smtptest.Hooks{ValidateRecipient: func(to string) error {
			mu.Lock()
			checked = append(checked, to)
			mu.Unlock()
			return nil
		}},
		smtptest.Fault{Stage: smtptest.StageRcpt, Delay: time.Millisecond},
		smtptest.Fault{Stage: smtptest.StageRcpt, Delay: 2 * time.Millisecond, Match: "x@example.org"},
		smtptest.RejectRecipient("x@example.org"),
		smtptest.Fault{Stage: smtptest.StageRcpt, Match: "x@example.org", Reply: &gosmtp.SMTPError{Code: 451, Message: "never: the first reply wins"}},
	)
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.cmd("MAIL FROM:<a@example.com>", 250)
	c.cmd("RCPT TO:<x@example.org>", 550)
	c.cmd("RCPT TO:<y@example.org>", 250)
	if !slices.Equal(checked, []string{"y@example.org"}) {
		t.Errorf("ValidateRecipient saw %q; the fault must act before it", checked)
	}
	tr := srv.Transcript()
	if !strings.Contains(tr, "fault: delay 3ms\n") || !strings.Contains(tr, "fault: delay 1ms\n") {
		t.Errorf("delays do not add up per command:\n%s", tr)
	}
}

func TestInvalidFaults(t *testing.T) {
	tests := []struct {
		fault smtptest.Fault
		want  string
	}{
		{smtptest.Fault{Reply: &gosmtp.SMTPError{Code: 550}}, "Stage other is not a stage"},
		{smtptest.Fault{Stage: 42, Drop: true}, "Stage Stage(42)"},
		{smtptest.Fault{Stage: smtptest.StageRcpt, Reply: &gosmtp.SMTPError{Code: 250}}, "Reply code 250 is not 4xx or 5xx"},
		{smtptest.Fault{Stage: smtptest.StageRcpt, Reply: &gosmtp.SMTPError{Code: 550}, Drop: true}, "both Reply and Drop"},
		{smtptest.Fault{Stage: smtptest.StageRcpt}, "it does nothing"},
		{smtptest.Fault{Stage: smtptest.StageRcpt, Drop: true, Rate: 1.5}, "Rate 1.5 is outside [0, 1]"},
		{smtptest.Fault{Stage: smtptest.StageRcpt, Drop: true, Rate: math.NaN()}, "Rate NaN is outside [0, 1]"},
		{smtptest.Fault{Stage: smtptest.StageRcpt, Reply: &gosmtp.SMTPError{Code: 550, Message: strings.Repeat("x", 497)}}, "a line of Reply text is 497 bytes, more than the 496"},
		{smtptest.Fault{Stage: smtptest.StageRcpt, Reply: &gosmtp.SMTPError{Code: 550, Message: "ok\n" + strings.Repeat("x", 64<<10)}}, "a line of Reply text is 65536 bytes"},
		{smtptest.Fault{Stage: smtptest.StageRcpt, Reply: &gosmtp.SMTPError{Code: 550, Message: "no\rinjection"}}, "control character"},
		{smtptest.Fault{Stage: smtptest.StageRcpt, Reply: &gosmtp.SMTPError{Code: 550, Message: "bo\xc3\xaete pleine"}}, "non-ASCII Reply text"},
		{smtptest.Fault{Stage: smtptest.StageRcpt, Drop: true, Times: -1}, "negative"},
		{smtptest.Fault{Stage: smtptest.StageMail, Drop: true, AfterBytes: 10}, "AfterBytes needs Drop at StageData"},
		{smtptest.Fault{Stage: smtptest.StageQuit, Match: "x", Drop: true}, `Match "x" at QUIT, which has no argument`},
		{smtptest.Fault{Stage: smtptest.StageRcpt, Match: "[a-", Drop: true}, "syntax error in pattern"},
	}
	for _, tt := range tests {
		err := tt.fault.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), "smtptest: invalid Fault") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v.Validate() = %v, want %q", tt.fault, err, tt.want)
		}
		if srv, err := smtptest.Start(tt.fault); err == nil {
			srv.Close()
			t.Errorf("Start(%v) succeeded", tt.fault)
		}
	}
	for _, f := range []smtptest.Fault{
		smtptest.RejectRecipient("x"), smtptest.RejectSender("<>"), smtptest.FailNextDelivery(),
		smtptest.DropAfterData(), smtptest.Greet421(), {Stage: smtptest.StageData, Drop: true, AfterBytes: 1},
		{Stage: smtptest.StageRcpt, Reply: &gosmtp.SMTPError{Code: 550, Message: strings.Repeat("x", 496) + "\n" + strings.Repeat("y", 496)}},
	} {
		if err := f.Validate(); err != nil {
			t.Errorf("%v: %v", f, err)
		}
	}
	for _, f := range smtptest.SlowReplies(time.Second) {
		if err := f.Validate(); err != nil {
			t.Errorf("%v: %v", f, err)
		}
	}

	tb := tbtest.Run(t, func(tb *tbtest.TB) {
		smtptest.NewServer(tb, smtptest.Fault{Stage: smtptest.StageRcpt})
	})
	if !tb.Fataled() || !strings.Contains(tb.Text(), "it does nothing") {
		t.Errorf("NewServer with an invalid fault: %q", tb.Text())
	}

	srv := smtptest.NewServer(t)
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "smtptest: invalid Fault") {
			t.Errorf("Inject of an invalid fault: recover() = %v", r)
		}
	}()
	srv.Inject(smtptest.Fault{Stage: smtptest.StageRcpt, Reply: &gosmtp.SMTPError{Code: 354}})
}

func TestDropMidBody(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.Fault{Stage: smtptest.StageData, Drop: true, AfterBytes: 100})
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.cmd("MAIL FROM:<a@example.com>", 250)
	c.cmd("RCPT TO:<b@example.org>", 250)
	c.cmd("DATA", 354)
	c.nc.Write([]byte("Subject: long\r\n\r\n" + strings.Repeat("0123456789\r\n", 50))) // may fail: the server hangs up
	c.expectClosed()
	rejs := srv.Rejections()
	if len(rejs) != 1 || rejs[0].Stage != smtptest.StageData || rejs[0].Reply.Code != 0 {
		t.Errorf("Rejections() = %v, want a drop at DATA", rejs)
	}
	if !strings.Contains(srv.Transcript(), "bytes of message data, incomplete") && !strings.Contains(srv.Transcript(), "fault: connection dropped") {
		t.Errorf("transcript:\n%s", srv.Transcript())
	}
	// A body shorter than AfterBytes: the drop comes at its end, no reply.
	srv.Inject(smtptest.Fault{Stage: smtptest.StageData, Drop: true, AfterBytes: 1 << 20})
	c = dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.cmd("MAIL FROM:<a@example.com>", 250)
	c.cmd("RCPT TO:<b@example.org>", 250)
	c.cmd("DATA", 354)
	c.write(simpleMsg + ".\r\n")
	c.expectClosed()
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages recorded", n)
	}
}

func TestFaultsAndBDAT(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.Fault{Stage: smtptest.StageData, Times: 1, Reply: &gosmtp.SMTPError{Code: 452, Message: "no room"}})
	c := dial(t, srv, 220)
	c.cmd("EHLO client.example", 250)
	c.cmd("MAIL FROM:<a@example.com>", 250)
	c.cmd("RCPT TO:<b@example.org>", 250)
	c.write("BDAT 12\r\nQUIT\r\nQUIT\r\n") // the chunk is dropped with the command, not read as commands
	c.expect(452)
	c.write("BDAT 9\r\nSubject: ")
	c.expect(250)
	c.write(bdat("x\r\n\r\n", true))
	c.expect(250)
	if m := srv.Messages(); len(m) != 1 || string(m[0].Data) != "Subject: x\r\n\r\n" {
		t.Errorf("messages %v", m)
	}

	// End of data with BDAT: go-smtp runs Data on a goroutine of its own.
	srv.Inject(smtptest.DropAfterData())
	c.cmd("MAIL FROM:<a@example.com>", 250)
	c.cmd("RCPT TO:<b@example.org>", 250)
	c.write(bdat("x\r\n\r\n", true))
	c.expectClosed()
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages recorded, want only the first", n)
	}
}

// bdat frames chunk as a BDAT command.
func bdat(chunk string, last bool) string {
	if last {
		return fmt.Sprintf("BDAT %d LAST\r\n%s", len(chunk), chunk)
	}
	return fmt.Sprintf("BDAT %d\r\n%s", len(chunk), chunk)
}

// goSMTPSend sends one message with go-smtp's client, without the
// STARTTLS its SendMail insists on.
func goSMTPSend(addr, from string, to []string, msg string) error {
	c, err := gosmtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		return err
	}
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	for _, r := range to {
		if err := c.Rcpt(r, nil); err != nil {
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
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// The common cases in one line each, seen through net/smtp.
func TestConvenienceFaults(t *testing.T) {
	send := func(srv *smtptest.Server, from string, to ...string) error {
		return smtp.SendMail(srv.Addr(), nil, from, to, []byte(simpleMsg))
	}

	srv := smtptest.NewServer(t, smtptest.RejectRecipient("*@bad.example"))
	if err := send(srv, "a@example.com", "x@bad.example"); smtpCode(err) != 550 {
		t.Errorf("RejectRecipient: %v", err)
	}

	srv = smtptest.NewServer(t, smtptest.RejectSender("<>"))
	if err := send(srv, ""); smtpCode(err) != 550 {
		t.Errorf("RejectSender(<>): %v", err)
	}

	srv = smtptest.NewServer(t, smtptest.FailNextDelivery())
	if err := send(srv, "a@example.com", "b@example.org"); smtpCode(err) != 451 {
		t.Errorf("FailNextDelivery, first attempt: %v", err)
	}
	if err := send(srv, "a@example.com", "b@example.org"); err != nil {
		t.Errorf("FailNextDelivery, retry: %v", err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("FailNextDelivery: %d messages, want the retry only", n)
	}

	srv = smtptest.NewServer(t, smtptest.DropAfterData())
	if err := send(srv, "a@example.com", "b@example.org"); err == nil || smtpCode(err) != 0 {
		t.Errorf("DropAfterData: %v, want an I/O error", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("DropAfterData: %d messages recorded", n)
	}

	srv = smtptest.NewServer(t, smtptest.Greet421())
	if err := send(srv, "a@example.com", "b@example.org"); smtpCode(err) != 421 {
		t.Errorf("Greet421: %v", err)
	}

	srv = smtptest.NewServer(t, smtptest.SlowReplies(time.Millisecond))
	if err := send(srv, "a@example.com", "b@example.org"); err != nil {
		t.Errorf("SlowReplies: %v", err)
	}
	// Greeting, EHLO, MAIL, RCPT, DATA, end of data, QUIT.
	if n := strings.Count(srv.Transcript(), "fault: delay 1ms"); n != 7 {
		t.Errorf("SlowReplies delayed %d replies, want 7:\n%s", n, srv.Transcript())
	}
}

// Clients see faults the way they would see a real server do the same:
// a soft failure is a retryable 4xx, a drop an I/O error, a delay a timeout
// when the client's deadline is shorter.
func TestClientsSeeFaults(t *testing.T) {
	soft := &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "try again"}

	t.Run("net/smtp soft failure", func(t *testing.T) {
		srv := smtptest.NewServer(t, smtptest.Fault{Stage: smtptest.StageRcpt, Reply: soft})
		err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte(simpleMsg))
		if code := smtpCode(err); code/100 != 4 {
			t.Errorf("error %v, want a 4xx *textproto.Error", err)
		}
	})
	t.Run("go-smtp soft failure is Temporary", func(t *testing.T) {
		srv := smtptest.NewServer(t, smtptest.Fault{Stage: smtptest.StageEndOfData, Reply: soft})
		err := goSMTPSend(srv.Addr(), "a@example.com", []string{"b@example.org"}, simpleMsg)
		var se *gosmtp.SMTPError
		if !errors.As(err, &se) || !se.Temporary() || se.EnhancedCode != (gosmtp.EnhancedCode{4, 3, 0}) {
			t.Errorf("error %#v, want a temporary *smtp.SMTPError 4.3.0", err)
		}
	})
	t.Run("go-smtp hard failure is not Temporary", func(t *testing.T) {
		srv := smtptest.NewServer(t, smtptest.RejectRecipient("b@example.org"))
		err := goSMTPSend(srv.Addr(), "a@example.com", []string{"b@example.org"}, simpleMsg)
		var se *gosmtp.SMTPError
		if !errors.As(err, &se) || se.Temporary() || se.Code != 550 {
			t.Errorf("error %#v, want a permanent 550", err)
		}
	})
	t.Run("drop is an I/O error", func(t *testing.T) {
		for _, stage := range []smtptest.Stage{smtptest.StageMail, smtptest.StageEndOfData} {
			srv := smtptest.NewServer(t, walkUser, smtptest.Fault{Stage: stage, Drop: true})
			for name, err := range map[string]error{
				"net/smtp": smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte(simpleMsg)),
				"go-smtp":  goSMTPSend(srv.Addr(), "a@example.com", []string{"b@example.org"}, simpleMsg),
			} {
				var se *gosmtp.SMTPError
				if err == nil || smtpCode(err) != 0 || errors.As(err, &se) {
					t.Errorf("%s, drop at %v: %#v, want an I/O error", name, stage, err)
				}
			}
		}
	})
	t.Run("delay longer than the client's deadline is a timeout", func(t *testing.T) {
		// The delay is never waited out: the client gives up, and Close
		// ends the server's wait.
		srv := smtptest.NewServer(t, smtptest.Fault{Stage: smtptest.StageRcpt, Delay: time.Hour})
		c, err := gosmtp.Dial(srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Hello("client.example"); err != nil {
			t.Fatal(err)
		}
		if err := c.Mail("a@example.com", nil); err != nil {
			t.Fatal(err)
		}
		c.CommandTimeout = 50 * time.Millisecond
		err = c.Rcpt("b@example.org", nil)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("Rcpt: %v, want a timeout", err)
		}
	})
}

// Postfix's smtp-sink plays these; each has its smtptest form.
func TestParitySmtpSink(t *testing.T) {
	t.Run("hard, soft reject and disconnect per command", func(t *testing.T) {
		// smtp-sink -h / -s / -q: covered stage by stage in
		// TestFaultAtEveryStageEveryAction; here the three side by side.
		srv := smtptest.NewServer(t,
			smtptest.Fault{Stage: smtptest.StageRcpt, Match: "hard@example.org", Reply: &gosmtp.SMTPError{Code: 550, Message: "hard"}},
			smtptest.Fault{Stage: smtptest.StageRcpt, Match: "soft@example.org", Reply: &gosmtp.SMTPError{Code: 450, Message: "soft"}},
			smtptest.Fault{Stage: smtptest.StageRcpt, Match: "quit@example.org", Drop: true},
		)
		c := dial(t, srv, 220)
		c.cmd("EHLO client.example", 250)
		c.cmd("MAIL FROM:<a@example.com>", 250)
		c.cmd("RCPT TO:<hard@example.org>", 550)
		c.cmd("RCPT TO:<soft@example.org>", 450)
		c.write("RCPT TO:<quit@example.org>\r\n")
		c.expectClosed()
	})
	t.Run("delayed DATA reply", func(t *testing.T) { // smtp-sink -w
		srv := smtptest.NewServer(t, smtptest.Fault{Stage: smtptest.StageEndOfData, Delay: 5 * time.Millisecond})
		sendMail(t, srv, "a@example.com", []string{"b@example.org"}, simpleMsg)
		if !strings.Contains(srv.Transcript(), "fault: delay 5ms") || len(srv.Messages()) != 1 {
			t.Errorf("transcript:\n%s", srv.Transcript())
		}
	})
	t.Run("custom banner", func(t *testing.T) { // smtp-sink -B
		srv := smtptest.NewServer(t, smtptest.Banner("ESMTP sink"))
		if text := dial(t, srv, 220).cmd("QUIT", 221); text == "" {
			t.Error("no QUIT reply")
		}
		if !strings.Contains(srv.Transcript(), "S: 220 localhost ESMTP sink") {
			t.Errorf("transcript:\n%s", srv.Transcript())
		}
	})
	t.Run("ENHANCEDSTATUSCODES, PIPELINING, 8BITMIME off", func(t *testing.T) { // smtp-sink -E -P -8
		srv := smtptest.NewServer(t, smtptest.DisableExtensions("enhancedstatuscodes", "PIPELINING", "8BITMIME"), smtptest.RejectRecipient("x@example.org"))
		c := dial(t, srv, 220)
		ehlo := c.cmd("EHLO client.example", 250)
		for _, ext := range []string{"ENHANCEDSTATUSCODES", "PIPELINING", "8BITMIME"} {
			if strings.Contains(ehlo, ext) {
				t.Errorf("EHLO advertises %s:\n%s", ext, ehlo)
			}
		}
		if !strings.Contains(ehlo, "\nCHUNKING\n") || !strings.Contains(ehlo, "\nSIZE ") {
			t.Errorf("EHLO lost other extensions:\n%s", ehlo)
		}
		if text := c.cmd("MAIL FROM:<a@example.com>", 250); strings.HasPrefix(text, "2.") {
			t.Errorf("MAIL reply has an enhanced code: %q", text)
		}
		if text := c.cmd("RCPT TO:<x@example.org>", 550); strings.HasPrefix(text, "5.") {
			t.Errorf("fault reply has an enhanced code: %q", text)
		}
		if r := srv.Rejections(); r[0].Reply.EnhancedCode != gosmtp.NoEnhancedCode {
			t.Errorf("rejection records %v", r[0].Reply.EnhancedCode)
		}
		// net/smtp copes.
		sendMail(t, srv, "a@example.com", []string{"b@example.org"}, simpleMsg)
	})
	t.Run("unknown extension", func(t *testing.T) {
		if _, err := smtptest.Start(smtptest.DisableExtensions("PIPELINEING")); err == nil || !strings.Contains(err.Error(), `unknown extension "PIPELINEING"`) {
			t.Errorf("Start: %v", err)
		}
	})
}

// MailHog's Jim and Mailpit's chaos: refusals and disconnects at a rate,
// and a slow link.
func TestParityJimAndMailpit(t *testing.T) {
	count := func(srv *smtptest.Server, stage smtptest.Stage, code int) int {
		n := 0
		for _, r := range srv.Rejections() {
			if r.Stage == stage && r.Reply.Code == code {
				n++
			}
		}
		return n
	}
	rateReply := func(stage smtptest.Stage, rate float64) smtptest.Fault {
		return smtptest.Fault{Stage: stage, Rate: rate, Reply: &gosmtp.SMTPError{Code: 451, Message: "chaos"}}
	}
	const attempts = 100

	t.Run("reject sender, recipient and auth at a rate", func(t *testing.T) {
		srv := smtptest.NewServer(t, smtptest.Seed(1), rateReply(smtptest.StageMail, 0.5), rateReply(smtptest.StageRcpt, 0.5), rateReply(smtptest.StageAuth, 0.5))
		c := dial(t, srv, 220)
		c.cmd("EHLO client.example", 250)
		for range attempts {
			c.write("AUTH LOGIN\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nRSET\r\n")
			for range 4 {
				c.reply()
			}
		}
		for _, stage := range []smtptest.Stage{smtptest.StageAuth, smtptest.StageMail, smtptest.StageRcpt} {
			// A RCPT only reaches the fault after an accepted MAIL.
			if n := count(srv, stage, 451); n == 0 || n == attempts {
				t.Errorf("%v refused %d times out of %d at rate 0.5", stage, n, attempts)
			}
		}
	})
	t.Run("reject connections at a rate", func(t *testing.T) {
		srv := smtptest.NewServer(t, smtptest.Seed(1), smtptest.Fault{Stage: smtptest.StageConnect, Rate: 0.5, Reply: &gosmtp.SMTPError{Code: 421, Message: "busy"}})
		refused := 0
		for range 40 {
			if err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte(simpleMsg)); smtpCode(err) == 421 {
				refused++
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if refused == 0 || refused == 40 || len(srv.Messages()) != 40-refused {
			t.Errorf("%d of 40 connections refused, %d messages", refused, len(srv.Messages()))
		}
	})
	t.Run("disconnect at a rate", func(t *testing.T) {
		srv := smtptest.NewServer(t, smtptest.Seed(3), smtptest.EveryStage(smtptest.Fault{Drop: true, Rate: 0.1}))
		delivered := 0
		for range 40 {
			err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte(simpleMsg))
			if err == nil {
				delivered++
			}
		}
		drops := count(srv, 0, 0) // Stage 0 never holds a drop: count per stage below
		for s := smtptest.StageConnect; s <= smtptest.StageQuit; s++ {
			drops += count(srv, s, 0)
		}
		if drops == 0 || delivered == 0 || len(srv.Messages()) < delivered {
			t.Errorf("%d drops, %d delivered, %d recorded", drops, delivered, len(srv.Messages()))
		}
	})
	t.Run("slow link", func(t *testing.T) {
		srv := smtptest.NewServer(t, smtptest.LinkSpeed(100)) // 10 bytes per tenth of a second
		nc, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.SetReadDeadline(time.Now().Add(ioBound))
		buf := make([]byte, 100)
		n, err := nc.Read(buf)
		if err != nil || n > 10 {
			t.Errorf("first read: %d bytes (%q), %v; want at most 10 of the greeting", n, buf[:n], err)
		}
		// A client with a short deadline gives up on the rest.
		nc.SetReadDeadline(time.Now().Add(time.Millisecond))
		for err == nil {
			_, err = nc.Read(buf)
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("reading the rest quickly: %v, want a timeout", err)
		}
	})
	t.Run("slow link still delivers", func(t *testing.T) {
		srv := smtptest.NewServer(t, smtptest.LinkSpeed(50000))
		sendMail(t, srv, "a@example.com", []string{"b@example.org"}, simpleMsg)
		if m := srv.Messages(); len(m) != 1 || string(m[0].Data) != simpleMsg {
			t.Errorf("messages %v", m)
		}
	})
}

func TestFaultString(t *testing.T) {
	f := smtptest.Fault{Stage: smtptest.StageRcpt, Match: "*@x", Delay: time.Second, Reply: &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 0, 0}, Message: "later"}, Times: 2, Rate: 0.5}
	if got, want := f.String(), "{RCPT *@x delay 1s reply 451 4.0.0 later x2 rate 0.5}"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
