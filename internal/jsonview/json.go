package jsonview

import (
	"crypto/tls"
	"time"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/internal/wire"
)

// TimeFormat is how times are printed: milliseconds and the zone.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// TLSName is the TLS version of t ("TLS 1.3"), "" without TLS.
func TLSName(t *smtptest.TLSInfo) string {
	if t == nil {
		return ""
	}
	return tls.VersionName(t.Version)
}

// Summary is a message's summary: the output's message event and the
// API's lists show it.
type Summary struct {
	ID       int       `json:"id"`
	Received time.Time `json:"received"`
	Conn     int       `json:"conn"`
	Remote   string    `json:"remote"`
	Helo     string    `json:"helo"`
	From     string    `json:"from"`
	To       []string  `json:"to"`
	Subject  string    `json:"subject"`
	Size     int       `json:"size"`
	TLS      string    `json:"tls,omitempty"`
	AuthUser string    `json:"auth_user,omitempty"`
	AuthMech string    `json:"auth_mech,omitempty"`
}

// SummaryOf is m as JSON.
func SummaryOf(m smtptest.Summary) Summary {
	return Summary{
		ID: m.ID, Received: m.Received, Conn: m.ConnID, Remote: m.Remote.String(), Helo: m.Helo,
		From: m.From, To: m.To, Subject: m.Subject, Size: m.Size, TLS: TLSName(m.TLS), AuthUser: m.AuthUser,
		AuthMech: m.AuthMech,
	}
}

// Summaries is sums as JSON.
func Summaries(sums []smtptest.Summary) []Summary {
	out := make([]Summary, len(sums))
	for i, m := range sums {
		out[i] = SummaryOf(m)
	}
	return out
}

// Rejection is a refusal: the output's rejection event and the API's
// list show it.
type Rejection struct {
	Time         string `json:"time"`
	Conn         int    `json:"conn"`
	Remote       string `json:"remote"`
	Stage        string `json:"stage"`
	Arg          string `json:"arg,omitempty"`
	Command      string `json:"command,omitempty"`
	Code         int    `json:"code"` // 0: the connection was dropped
	EnhancedCode string `json:"enhanced_code,omitempty"`
	Text         string `json:"text,omitempty"`
}

// RejectionOf is r as JSON.
func RejectionOf(r smtptest.Rejection) Rejection {
	j := Rejection{
		Time: r.Time.Format(TimeFormat), Conn: r.ConnID, Remote: r.Remote.String(), Stage: r.Stage.String(),
		Arg: r.Arg, Command: r.Command, Code: r.Reply.Code, Text: r.Reply.Message,
	}
	if ec := r.Reply.EnhancedCode; wire.HasEnhanced(ec) {
		j.EnhancedCode = string(wire.AppendEnhanced(nil, ec))
	}
	return j
}
