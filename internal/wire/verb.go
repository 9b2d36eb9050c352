package wire

import (
	"bytes"
	"strconv"
	"strings"
)

// Known reports whether verb is a command go-smtp implements (some with
// 502).
func Known(verb string) bool { return knownVerbs[verb] }

// OutOfSequence reports whether go-smtp's "502 5.5.1" to verb means "bad
// sequence of commands" (which RFC 5321 4.2.4 and 4.3.2 answer 503).
func OutOfSequence(verb string) bool { return sequenceVerbs[verb] }

var knownVerbs = map[string]bool{
	"HELO": true, "EHLO": true, "LHLO": true, "MAIL": true, "RCPT": true,
	"DATA": true, "BDAT": true, "RSET": true, "NOOP": true, "QUIT": true,
	"VRFY": true, "EXPN": true, "HELP": true, "AUTH": true, "STARTTLS": true,
	"SEND": true, "SOML": true, "SAML": true, "TURN": true,
}

var sequenceVerbs = map[string]bool{"MAIL": true, "RCPT": true, "DATA": true, "BDAT": true, "AUTH": true}

// ParseVerb returns the command verb of line in upper case, the way
// go-smtp's parser finds it: "STARTTLS" as a prefix, otherwise four
// letters alone or followed by a space. It returns "" for a line go-smtp
// rejects as malformed.
func ParseVerb(line []byte) string {
	line = bytes.TrimRight(line, "\r\n")
	if len(line) >= 8 && bytes.EqualFold(line[:8], []byte("STARTTLS")) {
		return "STARTTLS"
	}
	if len(line) != 4 && (len(line) < 6 || line[4] != ' ') {
		return ""
	}
	var v [4]byte
	for i, b := range line[:4] {
		if 'a' <= b && b <= 'z' {
			b -= 'a' - 'A'
		}
		v[i] = b
	}
	switch string(v[:]) { // compared in place, without allocating
	case "HELO":
		return "HELO"
	case "EHLO":
		return "EHLO"
	case "LHLO":
		return "LHLO"
	case "MAIL":
		return "MAIL"
	case "RCPT":
		return "RCPT"
	case "DATA":
		return "DATA"
	case "BDAT":
		return "BDAT"
	case "RSET":
		return "RSET"
	case "NOOP":
		return "NOOP"
	case "QUIT":
		return "QUIT"
	case "AUTH":
		return "AUTH"
	}
	return string(v[:])
}

// ParseBDAT parses "BDAT <size> [LAST]" exactly as go-smtp does, so the
// front knows when a chunk follows.
func ParseBDAT(line []byte) (size int64, last, ok bool) {
	args := strings.Fields(string(line[4:]))
	if len(args) == 0 || len(args) > 2 {
		return 0, false, false
	}
	if len(args) == 2 {
		if !strings.EqualFold(args[1], "LAST") {
			return 0, false, false
		}
		last = true
	}
	n, err := strconv.ParseUint(args[0], 10, 32)
	if err != nil {
		return 0, false, false
	}
	return int64(n), last, true
}

// Arg returns what a fault matches and a rejection reports for a
// command: the address of MAIL ("<>" for the null sender) and RCPT, the
// domain of HELO/EHLO/LHLO, the mechanism of AUTH; "" otherwise.
func Arg(verb string, line []byte) string {
	if len(line) < 5 {
		return ""
	}
	rest := strings.TrimSpace(string(line[5:]))
	switch verb {
	case "MAIL":
		return pathArg(rest, "FROM:")
	case "RCPT":
		return pathArg(rest, "TO:")
	case "HELO", "EHLO", "LHLO":
		word, _, _ := strings.Cut(rest, " ")
		return word
	case "AUTH":
		word, _, _ := strings.Cut(rest, " ")
		return strings.ToUpper(word)
	}
	return ""
}

// pathArg extracts the address from "FROM:<path> params" or "TO:<path>",
// as go-smtp reads it: brackets and a source route removed, a quoted local
// part unquoted. It returns "<>" for the null path and the raw text if the
// argument is malformed.
func pathArg(s, prefix string) string {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s
	}
	s = strings.TrimSpace(s[len(prefix):])
	if strings.HasPrefix(s, "<>") {
		return "<>"
	}
	bracket := strings.HasPrefix(s, "<")
	s = strings.TrimPrefix(s, "<")
	if strings.HasPrefix(s, "@") { // source route "@a,@b:user@c"
		if i := strings.IndexByte(s, ':'); i >= 0 {
			s = s[i+1:]
		}
	}
	var b strings.Builder
	if strings.HasPrefix(s, `"`) {
		i := 1
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
			}
			b.WriteByte(s[i])
		}
		s = s[min(i+1, len(s)):]
	}
	end := strings.IndexAny(s, " \t")
	if bracket {
		end = strings.IndexByte(s, '>')
	}
	if end < 0 {
		end = len(s)
	}
	b.WriteString(s[:end])
	return b.String()
}
