package smtptest_test

import (
	"errors"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"

	"github.com/smtptest/smtptest"
)

// TestProfiles: LikePostfix's size limit and synchronisation, LikeGmail's
// bulk-sender refusal; options after a profile change it.
func TestProfiles(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.LikePostfix())
	if cfg := srv.Config(); cfg.MaxMessageBytes != 10240000 || cfg.MaxRecipients != 1000 {
		t.Errorf("LikePostfix: %+v", cfg)
	}
	c := dial(t, srv, 220)
	c.write("EHLO client.example\r\nMAIL FROM:<a@example.com>\r\n")
	c.expect(554)

	srv = smtptest.NewServer(t, smtptest.LikePostfix(), smtptest.MaxMessageBytes(1<<20))
	if cfg := srv.Config(); cfg.MaxMessageBytes != 1<<20 {
		t.Errorf("an option after the profile: %d", cfg.MaxMessageBytes)
	}

	srv = smtptest.NewServer(t, smtptest.LikeGmail())
	err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.org"}, []byte(completeMsg))
	var tp *textproto.Error
	if !errors.As(err, &tp) || tp.Code != 550 || !strings.HasPrefix(tp.Msg, "5.7.1") {
		t.Errorf("LikeGmail, a message without DKIM or one-click unsubscription: %v", err)
	}
	if cfg := srv.Config(); cfg.MaxMessageBytes != 25<<20 || cfg.MaxRecipients != 100 {
		t.Errorf("LikeGmail: %+v", cfg)
	}
}
