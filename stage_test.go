package smtptest_test

import (
	"testing"

	"github.com/smtptest/smtptest"
)

func TestStageString(t *testing.T) {
	want := map[smtptest.Stage]string{
		0: "other", smtptest.StageConnect: "connect", smtptest.StageHelo: "HELO", smtptest.StageAuth: "AUTH",
		smtptest.StageMail: "MAIL", smtptest.StageRcpt: "RCPT", smtptest.StageData: "DATA",
		smtptest.StageEndOfData: "end of data", smtptest.StageRset: "RSET", smtptest.StageNoop: "NOOP",
		smtptest.StageQuit: "QUIT", 42: "Stage(42)",
	}
	for s, w := range want {
		if got := s.String(); got != w {
			t.Errorf("Stage(%d).String() = %q, want %q", int(s), got, w)
		}
	}
}
