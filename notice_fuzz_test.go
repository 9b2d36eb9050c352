package smtptest

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/emersion/go-message"
	"github.com/smtptest/smtptest/lint"
)

// FuzzNotices makes a DSN, a feedback report and an auto-reply about
// whatever message the input is: none may panic, and each one made must
// parse and have no lint Error of a rule the message itself does not
// break (a DSN returns the message as it came, NUL bytes and all).
func FuzzNotices(f *testing.F) {
	f.Add([]byte("From: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\nMessage-ID: <1@x>\r\n\r\nbody\r\n"))
	f.Add([]byte("Subject: =?utf-8?q?caf=C3=A9?=\nReferences: <a@b> <c@d>\n\n\xff\xfe body\n"))
	f.Add([]byte("no header at all"))
	f.Add([]byte("Subject: \r\n\r\n.\r\n"))
	srv := &Server{cfg: defaultConfig()}
	f.Fuzz(func(t *testing.T, data []byte) {
		m := &Message{
			ID: 1, Envelope: Envelope{From: "app@example.com", To: []string{"b@example.org"}},
			Data: data, Remote: netip.MustParseAddrPort("127.0.0.1:2525"), Received: time.Unix(1764842400, 0),
			view: newLightView(data),
		}
		now := time.Unix(1764846000, 0)
		own := map[string]bool{}
		for _, p := range lint.Check(data) {
			own[p.Rule] = true
		}
		for _, make := range []func() (*Notice, error){
			func() (*Notice, error) { return srv.bounce(now, m, DeliveryStatus{}, nil) },
			func() (*Notice, error) { return srv.complain(now, m, "b@example.org", Complaint{}) },
			func() (*Notice, error) { return srv.autoReply(now, m, "b@example.org", "") },
		} {
			n, err := make()
			if err != nil {
				if errors.Is(err, ErrNoNotice) || n != nil {
					continue
				}
				continue // the message's header did not parse: said, not made
			}
			if _, err := message.Read(bytes.NewReader(n.Data)); err != nil {
				t.Fatalf("%s does not parse: %v\n%s", n.Kind, err, n.Data)
			}
			for _, p := range lint.Check(n.Data) {
				if p.Severity == lint.Error && !own[p.Rule] {
					t.Fatalf("%s: lint: %v\n%s", n.Kind, p, n.Data)
				}
			}
		}
	})
}
