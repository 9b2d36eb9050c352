package wire

import "bytes"

// IsAuthLine reports whether line is an AUTH command, however it is
// written: "AUTH" in any case at its start, whatever follows. Masking must
// not depend on go-smtp accepting the line ("AUTH\tPLAIN <secret>" is a
// syntax error to it, but still a secret).
func IsAuthLine(line []byte) bool {
	return len(line) >= 4 && bytes.EqualFold(line[:4], []byte("AUTH"))
}

// MaskAuth returns a copy of an AUTH line (see IsAuthLine) with everything
// after the mechanism name replaced by "****": "AUTH PLAIN ****". The verb
// and mechanism keep the bytes they came with (so a tab stays visible).
// If what follows the verb does not read as a separator and a SASL
// mechanism name (RFC 4422 3.1: up to 20 of A-Z, 0-9, "-", "_"), all of it
// is masked.
func MaskAuth(line []byte) []byte {
	rest := line[4:]
	i := 0
	for i < len(rest) && isSeparator(rest[i]) {
		i++
	}
	j := i
	for j < len(rest) && isMechanismByte(rest[j]) {
		j++
	}
	k := j
	for k < len(rest) && isSeparator(rest[k]) {
		k++
	}
	masked := append([]byte(nil), line[:4]...)
	switch {
	case i == len(rest):
		return append(masked, rest...) // "AUTH": nothing secret
	case i == 0 || j == i || j-i > 20 || (j < len(rest) && !isSeparator(rest[j])):
		return append(masked, " ****"...) // no mechanism to show
	case k == len(rest):
		return append(masked, rest[:j]...) // "AUTH LOGIN": nothing secret
	}
	masked = append(masked, rest[:j]...)
	return append(masked, " ****"...)
}

// isSeparator reports whether b can only separate words of a command line:
// a space, a tab or another control byte.
func isSeparator(b byte) bool { return b <= ' ' || b == 0x7f }

// isMechanismByte reports whether b may appear in a SASL mechanism name
// (RFC 4422 3.1), in either case.
func isMechanismByte(b byte) bool {
	return 'A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '-' || b == '_'
}

// MaskSASL hides a SASL response; the cancel line "*" stays readable.
func MaskSASL(line []byte) []byte {
	if string(line) == "*" {
		return line
	}
	return []byte("****")
}
