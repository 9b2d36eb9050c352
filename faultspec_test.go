package smtptest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"

	"github.com/smtptest/smtptest"
)

func TestParseFault(t *testing.T) {
	tests := []struct {
		spec string
		want smtptest.Fault
	}{
		{"rcpt *@bad.example reply 550 5.1.1 No such user",
			smtptest.Fault{Stage: smtptest.StageRcpt, Match: "*@bad.example", Reply: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}}},
		{"end-of-data times=1 reply 451",
			smtptest.Fault{Stage: smtptest.StageEndOfData, Times: 1, Reply: &smtp.SMTPError{Code: 451}}},
		{"EOD reply 451 try   again  later",
			smtptest.Fault{Stage: smtptest.StageEndOfData, Reply: &smtp.SMTPError{Code: 451, Message: "try again later"}}},
		{"connect rate=0.1 drop", smtptest.Fault{Stage: smtptest.StageConnect, Rate: 0.1, Drop: true}},
		{"data delay=2s", smtptest.Fault{Stage: smtptest.StageData, Delay: 2 * time.Second}},
		{"data after=1024", smtptest.Fault{Stage: smtptest.StageData, Drop: true, AfterBytes: 1024}},
		{"mail <> delay=1ms reply 550 5.7.1 Bounces not accepted",
			smtptest.Fault{Stage: smtptest.StageMail, Match: "<>", Delay: time.Millisecond, Reply: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Bounces not accepted"}}},
		{"helo *.spam.example reply 554 5.7.1 no", smtptest.Fault{Stage: smtptest.StageHelo, Match: "*.spam.example", Reply: &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "no"}}},
		{"auth LOGIN reply 535", smtptest.Fault{Stage: smtptest.StageAuth, Match: "LOGIN", Reply: &smtp.SMTPError{Code: 535}}},
		{"quit drop", smtptest.Fault{Stage: smtptest.StageQuit, Drop: true}},
	}
	for _, tt := range tests {
		got, err := smtptest.ParseFault(tt.spec)
		if err != nil {
			t.Errorf("%q: %v", tt.spec, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%q mismatch (-want +got):\n%s", tt.spec, diff)
		}
	}
}

func TestParseFaultErrors(t *testing.T) {
	for spec, want := range map[string]string{
		"":                       "empty",
		"later reply 451":        `unknown stage "later"`,
		"rcpt reply":             "reply needs a code",
		"rcpt reply 55":          `reply code "55" is not three digits`,
		"rcpt reply 250":         "Reply code 250 is not 4xx or 5xx",
		"rcpt times=x reply 450": "times:",
		"rcpt speed=2 reply 450": `unknown option "speed"`,
		"rcpt a b reply 450":     `unexpected "b"`,
		"rcpt":                   "it does nothing",
		"quit x drop":            "which has no argument",
		"rcpt drop reply 550":    "both Reply and Drop",
		"rcpt rate=2 drop":       "rate=2: want a probability greater than 0 and at most 1",
		"rcpt rate=NaN drop":     "rate=NaN: want a probability",
		"rcpt rate=0 drop":       "rate=0: want a probability",
		"rcpt rate=1e-400 drop":  "rate=1e-400: want a probability",
		"rcpt rate=-0.5 drop":    "rate=-0.5: want a probability",
		"rcpt reply 550 " + strings.Repeat("x", 64<<10): "a line of Reply text is 65536 bytes",
		"mail after=10":      "AfterBytes needs Drop at StageData",
		"rcpt [a- reply 550": "syntax error in pattern",
	} {
		_, err := smtptest.ParseFault(spec)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "syntax: STAGE") {
			t.Errorf("%q: %v, want an error with %q and the syntax", spec, err, want)
		}
	}
}

func TestReply(t *testing.T) {
	for _, c := range []struct {
		code int
		text string
		want *smtp.SMTPError
	}{
		{452, "4.2.2 Mailbox full", &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "Mailbox full"}},
		{550, "No such user", &smtp.SMTPError{Code: 550, Message: "No such user"}},
		{421, "4.3.2", &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}}},
	} {
		if diff := cmp.Diff(c.want, smtptest.Reply(c.code, c.text)); diff != "" {
			t.Errorf("Reply(%d, %q) mismatch (-want +got):\n%s", c.code, c.text, diff)
		}
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), `smtptest: fault "rcpt reply 99"`) {
			t.Errorf("MustParseFault of a bad fault: recovered %v", r)
		}
	}()
	smtptest.MustParseFault("rcpt reply 99")
}
