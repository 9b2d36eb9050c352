package wire

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/emersion/go-smtp"
)

// Code returns the code of a reply line, or 0 if it has none.
func Code(line []byte) int {
	if len(line) < 3 {
		return 0
	}
	code := 0
	for _, d := range line[:3] {
		if d < '0' || d > '9' {
			return 0
		}
		code = code*10 + int(d-'0')
	}
	return code
}

// ParseReply reads a complete reply (lines ending in CRLF) as an
// SMTPError: code, enhanced code (if any line has one), text lines joined
// by "\n".
func ParseReply(reply []byte) smtp.SMTPError {
	e := smtp.SMTPError{Code: Code(reply), EnhancedCode: smtp.NoEnhancedCode}
	texts := Texts(reply)
	for i, t := range texts {
		if ec, rest, ok := CutEnhanced(t); ok {
			e.EnhancedCode, texts[i] = ec, rest
		}
	}
	e.Message = strings.Join(texts, "\n")
	return e
}

// CutEnhanced splits an enhanced status code ("5.1.1 ") off the front of
// s, as ParseEnhanced reads it.
func CutEnhanced(s string) (smtp.EnhancedCode, string, bool) {
	word, rest, _ := strings.Cut(s, " ")
	ec, ok := ParseEnhanced(word)
	if !ok {
		return smtp.EnhancedCode{}, s, false
	}
	return ec, rest, true
}

// ParseEnhanced reads an enhanced status code such as "5.1.1" (RFC 3463
// 2): a class of 2, 4 or 5, then a subject and a detail of one to three
// digits each.
func ParseEnhanced(s string) (smtp.EnhancedCode, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return smtp.EnhancedCode{}, false
	}
	var ec smtp.EnhancedCode
	for i, p := range parts {
		if len(p) == 0 || len(p) > 3 || (i == 0 && len(p) != 1) {
			return smtp.EnhancedCode{}, false
		}
		for _, d := range []byte(p) {
			if d < '0' || d > '9' {
				return smtp.EnhancedCode{}, false
			}
			ec[i] = ec[i]*10 + int(d-'0')
		}
	}
	if ec[0] != 2 && ec[0] != 4 && ec[0] != 5 {
		return smtp.EnhancedCode{}, false
	}
	return ec, true
}

// HasEnhanced reports whether ec is a code to write (not the "none" or
// "not set" markers of go-smtp).
func HasEnhanced(ec smtp.EnhancedCode) bool {
	return ec != smtp.NoEnhancedCode && ec != smtp.EnhancedCodeNotSet
}

// FormatLine renders a reply on one line, for people: "550 5.1.1 text",
// the lines of a multi-line text joined by " / ".
func FormatLine(e *smtp.SMTPError) string {
	b := strconv.AppendInt(nil, int64(e.Code), 10)
	b = append(b, ' ')
	if HasEnhanced(e.EnhancedCode) {
		b = AppendEnhanced(b, e.EnhancedCode)
		b = append(b, ' ')
	}
	b = append(b, strings.ReplaceAll(e.Message, "\n", " / ")...)
	return string(b)
}

// AppendReply appends a reply of these lines to b; the enhanced code, if
// set, goes on the last line, as go-smtp writes it.
func AppendReply(b []byte, code int, ec smtp.EnhancedCode, lines []string) []byte {
	for i, l := range lines {
		b = strconv.AppendInt(b, int64(code), 10)
		if i < len(lines)-1 {
			b = append(b, '-')
		} else {
			b = append(b, ' ')
			if HasEnhanced(ec) {
				b = AppendEnhanced(b, ec)
				b = append(b, ' ')
			}
		}
		b = append(b, l...)
		b = append(b, '\r', '\n')
	}
	return b
}

func AppendEnhanced(b []byte, ec smtp.EnhancedCode) []byte {
	b = strconv.AppendInt(b, int64(ec[0]), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(ec[1]), 10)
	b = append(b, '.')
	return strconv.AppendInt(b, int64(ec[2]), 10)
}

// Texts returns the text of each line of a reply (after the code and
// its separator).
func Texts(reply []byte) []string {
	var texts []string
	for len(reply) > 0 {
		i := bytes.IndexByte(reply, '\n')
		line := bytes.TrimRight(reply[:i], "\r")
		reply = reply[i+1:]
		if len(line) > 4 {
			texts = append(texts, string(line[4:]))
		} else {
			texts = append(texts, "")
		}
	}
	return texts
}
