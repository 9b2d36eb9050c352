package wire

import (
	"testing"

	"github.com/emersion/go-smtp"
)

func TestParseEnhanced(t *testing.T) {
	for s, want := range map[string]bool{
		"5.1.1": true, "2.0.0": true, "4.7.26": true, "5.123.456": true,
		"3.0.0": false, "6.0.0": false, "55.1.1": false, "5.1": false, "5.1.1.1": false,
		"5..1": false, "5.1.1234": false, "5.a.1": false, "": false, "-5.1.1": false, "5.+1.1": false,
	} {
		if _, ok := ParseEnhanced(s); ok != want {
			t.Errorf("ParseEnhanced(%q) ok = %v, want %v", s, ok, want)
		}
	}
	if ec, rest, ok := CutEnhanced("5.1.1 No such user"); !ok || ec != (smtp.EnhancedCode{5, 1, 1}) || rest != "No such user" {
		t.Errorf("CutEnhanced = %v %q %v", ec, rest, ok)
	}
	if _, rest, ok := CutEnhanced("Hello there"); ok || rest != "Hello there" {
		t.Errorf("CutEnhanced of plain text = %q %v", rest, ok)
	}
}

func TestReplyRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		code  int
		ec    smtp.EnhancedCode
		lines []string
		wire  string
	}{
		{250, smtp.EnhancedCode{2, 0, 0}, []string{"OK"}, "250 2.0.0 OK\r\n"},
		{220, smtp.NoEnhancedCode, []string{"localhost ESMTP"}, "220 localhost ESMTP\r\n"},
		{550, smtp.EnhancedCode{5, 7, 1}, []string{"one", "two"}, "550-one\r\n550 5.7.1 two\r\n"},
		{421, smtp.EnhancedCodeNotSet, []string{""}, "421 \r\n"},
	} {
		b := AppendReply(nil, tc.code, tc.ec, tc.lines)
		if string(b) != tc.wire {
			t.Errorf("AppendReply = %q, want %q", b, tc.wire)
		}
		if Code(b) != tc.code {
			t.Errorf("Code(%q) = %d", b, Code(b))
		}
		e := ParseReply(b)
		wantEC := tc.ec
		if !HasEnhanced(wantEC) {
			wantEC = smtp.NoEnhancedCode
		}
		if e.Code != tc.code || e.EnhancedCode != wantEC {
			t.Errorf("ParseReply(%q) = %+v", b, e)
		}
	}
	if got := FormatLine(&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "a\nb"}); got != "550 5.1.1 a / b" {
		t.Errorf("FormatLine = %q", got)
	}
	if got := FormatLine(&smtp.SMTPError{Code: 421, EnhancedCode: smtp.NoEnhancedCode, Message: "bye"}); got != "421 bye" {
		t.Errorf("FormatLine = %q", got)
	}
	for _, line := range []string{"", "25", "2x0 ok", "abc"} {
		if Code([]byte(line)) != 0 {
			t.Errorf("Code(%q) = %d, want 0", line, Code([]byte(line)))
		}
	}
}
