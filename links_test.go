package smtptest_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/internal/growth"
)

func TestLinks(t *testing.T) {
	msg := "Subject: verify\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"Click https://example.com/verify?t=3Dabc=3D123&x=3D1. Or (see https://example.com/help).\r\n" +
		"Questions: mailto:help@example.com, or https://example.com/a_very_long_link_that_is_soft_=\r\nbroken_by_qp\r\n" +
		"--b\r\nContent-Type: text/html; charset=iso-8859-1\r\n\r\n" +
		"<p><a href=\"https://example.com/verify?t=abc=123&amp;x=1\">verify</a> " +
		"<a href='#top'>top</a> <a href=\"javascript:alert(1)\">no</a> <A HREF=\"https://example.com/caf\xe9\">caf\xe9</A>" +
		"<img src=\"cid:logo\"><img src=\"https://cdn.example.com/pixel.gif\"> <a href=\"mailto:help@example.com\">mail</a></p>\r\n" +
		"--b--\r\n"
	m := &smtptest.Message{Data: []byte(msg)}
	links, err := m.Links()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"https://example.com/verify?t=abc=123&x=1",
		"https://example.com/help",
		"mailto:help@example.com",
		"https://example.com/a_very_long_link_that_is_soft_broken_by_qp",
		"https://example.com/café",
		"https://cdn.example.com/pixel.gif",
	}
	if !slices.Equal(links, want) {
		t.Errorf("Links() =\n%q\nwant\n%q", links, want)
	}

	// No body with links: none, and no error.
	if links, err := (&smtptest.Message{Data: []byte("Subject: x\r\n\r\nno link here\r\n")}).Links(); err != nil || len(links) != 0 {
		t.Errorf("plain: %q, %v", links, err)
	}
	// A body that cannot be read is an error.
	bad := &smtptest.Message{Data: []byte("Subject: x\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!\r\n")}
	if _, err := bad.Links(); err == nil || errors.Is(err, smtptest.ErrNoPart) {
		t.Errorf("unreadable body: %v", err)
	}
}

// TestLinksGrowLinearly: a URL followed by a long run of closing
// brackets (trimming them counted the brackets again for each one: 400 KB
// took 3 s).
func TestLinksGrowLinearly(t *testing.T) {
	growth.Linear(t, func(n int) []byte {
		return []byte("Subject: x\r\n\r\nsee (https://example.com/a" + strings.Repeat(")", n) + "\r\n")
	}, func(data []byte) {
		links, err := (&smtptest.Message{Data: data}).Links()
		if err != nil || len(links) != 1 || links[0] != "https://example.com/a" {
			t.Errorf("Links() = %q, %v", links, err)
		}
	})
}
