package wire

import "testing"

func TestParseVerb(t *testing.T) {
	for line, want := range map[string]string{
		"EHLO x": "EHLO", "ehlo x": "EHLO", "QUIT": "QUIT", "quit": "QUIT", "STARTTLS": "STARTTLS",
		"starttls now": "STARTTLS", "MAIL FROM:<a@b>": "MAIL", "XYZW": "XYZW", "NOOP\r\n": "NOOP",
		"EHL": "", "EHLOx": "", "AUTH\tPLAIN": "", "": "", "MAIL": "MAIL",
	} {
		if got := ParseVerb([]byte(line)); got != want {
			t.Errorf("ParseVerb(%q) = %q, want %q", line, got, want)
		}
	}
	if !Known("RSET") || Known("XYZW") || !OutOfSequence("RCPT") || OutOfSequence("NOOP") {
		t.Error("Known / OutOfSequence")
	}
}

func TestParseBDAT(t *testing.T) {
	for _, tc := range []struct {
		line     string
		size     int64
		last, ok bool
	}{
		{"BDAT 10", 10, false, true},
		{"BDAT 0 LAST", 0, true, true},
		{"bdat 5 last", 5, true, true},
		{"BDAT", 0, false, false},
		{"BDAT x", 0, false, false},
		{"BDAT 5 NOW", 0, false, false},
		{"BDAT 5 LAST more", 0, false, false},
		{"BDAT -1", 0, false, false},
		{"BDAT 99999999999", 0, false, false},
	} {
		size, last, ok := ParseBDAT([]byte(tc.line))
		if size != tc.size || last != tc.last || ok != tc.ok {
			t.Errorf("ParseBDAT(%q) = %d, %v, %v", tc.line, size, last, ok)
		}
	}
}

func TestArg(t *testing.T) {
	for _, tc := range []struct{ verb, line, want string }{
		{"MAIL", "MAIL FROM:<a@example.com> SIZE=10", "a@example.com"},
		{"MAIL", "MAIL FROM:<>", "<>"},
		{"MAIL", "mail from: <a@example.com>", "a@example.com"},
		{"RCPT", "RCPT TO:<@relay.example,@b.example:u@example.org>", "u@example.org"},
		{"RCPT", `RCPT TO:<"bob smith"@example.org>`, "bob smith@example.org"},
		{"RCPT", "RCPT TO:bare@example.org NOTIFY=NEVER", "bare@example.org"},
		{"RCPT", "RCPT nonsense", "nonsense"},
		{"EHLO", "EHLO client.example extra", "client.example"},
		{"AUTH", "AUTH plain ****", "PLAIN"},
		{"NOOP", "NOOP", ""},
	} {
		if got := Arg(tc.verb, []byte(tc.line)); got != tc.want {
			t.Errorf("Arg(%s, %q) = %q, want %q", tc.verb, tc.line, got, tc.want)
		}
	}
}
