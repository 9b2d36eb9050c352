package lint

import (
	"slices"
	"strings"
	"testing"
)

// good is a complete, well-formed message.
const good = "Date: Tue, 01 Dec 2026 20:00:00 +0000\r\n" +
	"From: App <app@example.com>\r\n" +
	"To: Ann <ann@example.org>\r\n" +
	"Subject: Welcome\r\n" +
	"Message-ID: <1234@example.com>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"\r\n" +
	"Hello, Ann.\r\n"

// rules returns the rule ids of ps, sorted.
func rules(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Rule)
	}
	slices.Sort(out)
	return out
}

func TestGoodMessageHasNoProblem(t *testing.T) {
	if ps := Check([]byte(good)); len(ps) != 0 {
		t.Errorf("Check(good) = %v", ps)
	}
}

// withHeader returns good with the header field name replaced by line (""
// removes it), or line added before the blank line if name is "".
func withHeader(name, line string) string {
	h, body, _ := strings.Cut(good, "\r\n\r\n")
	var out []string
	for _, l := range strings.Split(h, "\r\n") {
		if name != "" && strings.HasPrefix(strings.ToLower(l), strings.ToLower(name)+":") {
			if line != "" {
				out = append(out, line)
			}
			continue
		}
		out = append(out, l)
	}
	if name == "" {
		out = append(out, line)
	}
	return strings.Join(out, "\r\n") + "\r\n\r\n" + body
}

func TestRules(t *testing.T) {
	multipart := func(ct, parts string) string {
		return withHeader("Content-Type", "Content-Type: "+ct)[:strings.Index(withHeader("Content-Type", "Content-Type: "+ct), "\r\n\r\n")+4] + parts
	}
	long := strings.Repeat("x", 1000)
	for _, tc := range []struct {
		name string
		data string
		opts []Option
		want []string
	}{
		{"bare LF", strings.ReplaceAll(good, "\r\n", "\n"), nil, []string{"line/bare-lf"}},
		{"bare CR", good + "a\rb\r\n", nil, []string{"line/bare-cr"}},
		{"NUL", good + "a\x00b\r\n", nil, []string{"line/nul"}},
		{"line over 998", good + long + "\r\n", nil, []string{"line/too-long"}},
		{"long header line", withHeader("Subject", "Subject: "+strings.Repeat("word ", 20)), nil, []string{"line/long"}},
		{"no colon", withHeader("", "Not a field"), nil, []string{"header/malformed"}},
		{"space in name", withHeader("", "X Bad: 1"), nil, []string{"header/field-name"}},
		{"no Date", withHeader("Date", ""), nil, []string{"header/date-missing"}},
		{"bad Date", withHeader("Date", "Date: yesterday"), nil, []string{"header/date-syntax"}},
		{"no From", withHeader("From", ""), nil, []string{"header/from-missing"}},
		{"two Subjects", withHeader("", "Subject: again"), nil, []string{"header/duplicate"}},
		{"bad To", withHeader("To", "To: <<nobody"), nil, []string{"header/address-syntax"}},
		{"two From mailboxes", withHeader("From", "From: a@example.com, b@example.com"), nil, []string{"header/sender-missing"}},
		{"two From mailboxes and Sender", withHeader("", "Sender: a@example.com")[0:0] + strings.Replace(withHeader("From", "From: a@example.com, b@example.com"), "\r\n\r\n", "\r\nSender: a@example.com\r\n\r\n", 1), nil, nil},
		{"no Message-ID", withHeader("Message-ID", ""), nil, []string{"header/message-id-missing"}},
		{"bad Message-ID", withHeader("Message-ID", "Message-ID: 1234.example.com"), nil, []string{"header/message-id-syntax"}},
		{"8-bit Subject", withHeader("Subject", "Subject: Café"), nil, []string{"header/8bit"}},
		{"8-bit Subject over SMTPUTF8", withHeader("Subject", "Subject: Café"), []Option{SMTPUTF8()}, nil},
		{"Latin-1 Subject over SMTPUTF8", withHeader("Subject", "Subject: Caf\xe9"), []Option{SMTPUTF8()}, []string{"header/invalid-utf8"}},
		{"encoded Subject", withHeader("Subject", "Subject: =?utf-8?q?Caf=C3=A9?="), nil, nil},
		{"long encoded-word", withHeader("Subject", "Subject: =?utf-8?q?"+strings.Repeat("a", 70)+"?="), nil, []string{"header/encoded-word-long", "line/long"}},
		{"bad encoded-word", withHeader("Subject", "Subject: =?utf-8?b?!!!?="), nil, []string{"header/encoded-word-syntax"}},
		{"text that only looks like a word", withHeader("Subject", "Subject: =????= and =?? ?= are text (no charset, no encoding)"), nil, nil},
		{"unknown charset word", withHeader("Subject", "Subject: =?x-klingon?q?Qapla?="), nil, []string{"header/encoded-word-charset"}},
		{"no MIME-Version", withHeader("MIME-Version", ""), nil, []string{"mime/version-missing"}},
		{"bad Content-Type", withHeader("Content-Type", "Content-Type: text/plain; charset"), nil, []string{"mime/content-type-syntax"}},
		{"unknown charset", withHeader("Content-Type", "Content-Type: text/plain; charset=x-klingon"), nil, []string{"mime/charset-unknown"}},
		{"unknown encoding", withHeader("", "Content-Transfer-Encoding: uuencode"), nil, []string{"mime/encoding-unknown"}},
		{"bad base64", withHeader("", "Content-Transfer-Encoding: base64")[:len(withHeader("", "Content-Transfer-Encoding: base64"))-len("Hello, Ann.\r\n")] + "SGVsbG8*\r\n", nil, []string{"mime/base64"}},
		{"long base64 line", withHeader("", "Content-Transfer-Encoding: base64")[:len(withHeader("", "Content-Transfer-Encoding: base64"))-len("Hello, Ann.\r\n")] + strings.Repeat("QUJD", 20) + "\r\n", nil, []string{"mime/encoded-line-long"}},
		{"bad quoted-printable", withHeader("", "Content-Transfer-Encoding: quoted-printable")[:len(withHeader("", "Content-Transfer-Encoding: quoted-printable"))-len("Hello, Ann.\r\n")] + "bad =ZZ escape\r\nsoft=\r\nok =3D\r\n", nil, []string{"mime/quoted-printable"}},
		{"8-bit body", good + "Café\r\n", nil, []string{"body/8bit"}},
		{"8-bit body with 8BITMIME", good + "Café\r\n", []Option{EightBitMIME()}, []string{"body/8bit-undeclared"}},
		{"8bit body without 8BITMIME", withHeader("", "Content-Transfer-Encoding: 8bit") + "Café\r\n", nil, []string{"body/8bit-without-8bitmime"}},
		{"8bit body with 8BITMIME", withHeader("", "Content-Transfer-Encoding: 8bit") + "Café\r\n", []Option{EightBitMIME()}, nil},
		{"multipart", multipart(`multipart/alternative; boundary="b1"`, "--b1\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b1\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--b1--\r\n"), nil, nil},
		{"no boundary", multipart("multipart/mixed", "--b1\r\n\r\nhi\r\n--b1--\r\n"), nil, []string{"mime/boundary-missing"}},
		{"bad boundary", multipart(`multipart/mixed; boundary="b1<>"`, "--b1<>\r\n\r\nhi\r\n--b1<>--\r\n"), nil, []string{"mime/boundary-syntax"}},
		{"unclosed", multipart(`multipart/mixed; boundary="b1"`, "--b1\r\nContent-Type: text/plain\r\n\r\nhi\r\n"), nil, []string{"mime/boundary-unclosed"}},
		{"no parts", multipart(`multipart/mixed; boundary="b1"`, "no delimiter at all\r\n"), nil, []string{"mime/no-parts"}},
		{"HTML before text", multipart(`multipart/alternative; boundary="b1"`, "--b1\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b1--\r\n"), nil, []string{"mime/alternative-order"}},
		{"part problems have a path", multipart(`multipart/mixed; boundary="b1"`, "--b1\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!\r\n--b1--\r\n"), nil, []string{"mime/base64"}},
		{"bad disposition", multipart(`multipart/mixed; boundary="b1"`, "--b1\r\nContent-Disposition: attachment; filename\r\n\r\nx\r\n--b1--\r\n"), nil, []string{"mime/disposition-syntax"}},
		{"encoded-word filename", multipart(`multipart/mixed; boundary="b1"`, "--b1\r\nContent-Disposition: attachment; filename=\"=?UTF-8?q?r=C3=A9sum=C3=A9.pdf?=\"\r\n\r\nx\r\n--b1--\r\n"), nil, []string{"mime/param-encoded-word"}},
		{"boundary in a part", multipart(`multipart/mixed; boundary="b1"`, "--b1\r\n\r\n--b1 is not a delimiter? --b1x is not either\r\n--b1xyz\r\n--b1--\r\n"), nil, []string{"mime/boundary-in-body"}},
		{"long filename", multipart(`multipart/mixed; boundary="b1"`, "--b1\r\nContent-Disposition: attachment;\r\n filename=\""+strings.Repeat("n", 70)+".pdf\"\r\n\r\nx\r\n--b1--\r\n"), nil, []string{"line/long", "mime/param-long"}}, // the line is long too: that is the point
		{"bad Content-ID", multipart(`multipart/related; boundary="b1"`, "--b1\r\nContent-ID: logo\r\n\r\nx\r\n--b1--\r\n"), nil, []string{"mime/content-id"}},
		{"tcllib's Content-Type", withHeader("Content-Type", "Content-Type: multipart/mixed;\r\n ; boundary=\"a\";\r\n boundary=\"a\""), nil, []string{"mime/no-parts", "mime/param-syntax"}}, // a parameter twice (the body has no delimiter either)
		{"List-Unsubscribe", withHeader("", "List-Unsubscribe: <https://example.com/u?x=1>, <mailto:u@example.com>"), nil, nil},
		{"bad List-Unsubscribe", withHeader("", "List-Unsubscribe: https://example.com/u"), nil, []string{"list/unsubscribe-syntax"}},
		{"Post alone", withHeader("", "List-Unsubscribe-Post: List-Unsubscribe=One-Click"), nil, []string{"list/unsubscribe-post-alone"}},
		{"bulk without List-Unsubscribe", good, []Option{BulkSender()}, []string{"dkim/missing", "list/unsubscribe-missing"}},
		{"bulk without one-click", withHeader("", "List-Unsubscribe: <mailto:u@example.com>"), []Option{BulkSender()}, []string{"dkim/missing", "list/one-click-missing"}},
		{"bulk one-click", strings.Replace(good, "\r\n\r\n", "\r\nList-Unsubscribe: <https://example.com/u>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\n", 1), []Option{BulkSender(), Ignore("dkim/missing")}, nil},
		{"Ignore", withHeader("Date", ""), []Option{Ignore("header/date-missing")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := Check([]byte(tc.data), tc.opts...)
			if got := rules(ps); !slices.Equal(got, tc.want) {
				t.Errorf("rules %q, want %q\n%v", got, tc.want, ps)
			}
			for _, p := range ps {
				if p.Ref == "" || p.Text == "" || p.Severity == 0 {
					t.Errorf("incomplete problem %+v", p)
				}
			}
		})
	}
}

func TestSeverityOfMessageIDInBulkProfile(t *testing.T) {
	msg := []byte(withHeader("Message-ID", ""))
	if ps := Check(msg, Ignore("list/unsubscribe-missing")); len(ps) != 1 || ps[0].Severity != Warning {
		t.Errorf("default: %v", ps)
	}
	if ps := Check(msg, BulkSender(), Ignore("list/unsubscribe-missing", "dkim/missing")); len(ps) != 1 || ps[0].Severity != Error {
		t.Errorf("BulkSender: %v", ps)
	}
}

func TestLinesAndParts(t *testing.T) {
	data := "Date: Tue, 01 Dec 2026 20:00:00 +0000\r\nFrom: a@example.com\r\nMessage-ID: <1@x>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!\r\n--b--\r\n"
	ps := Check([]byte(data))
	if len(ps) != 1 || ps[0].Part != "1" || ps[0].Line != 11 || !strings.Contains(ps[0].Text, `"!!!"`) {
		t.Errorf("problems %v", ps)
	}
	// One problem per rule however often it occurs, with the count.
	ps = Check([]byte(strings.ReplaceAll(good+strings.Repeat("line\r\n", 10), "\r\n", "\n")))
	if len(ps) != 1 || ps[0].Line != 1 || !strings.Contains(ps[0].Text, "(and 18 more)") {
		t.Errorf("bare LFs: %v", ps)
	}
}

func TestRuleTable(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules {
		if seen[r.ID] || !strings.Contains(r.ID, "/") || r.Ref == "" || r.Doc == "" || (r.Severity != Error && r.Severity != Warning && r.Severity != Info) {
			t.Errorf("rule %+v", r)
		}
		seen[r.ID] = true
	}
}

// FuzzCheck: Check never panics or hangs, never changes its input, and
// every problem it reports is a rule of the table with a line inside the
// data.
func FuzzCheck(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte(strings.ReplaceAll(good, "\r\n", "\n")))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c--\r\n--b--\r\n"))
	f.Add([]byte("Subject: =?utf-8?q?=C3?=\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=\r\n=4"))
	for _, ex := range rfcExamples { // the grammar's every path
		f.Add([]byte(ex.data))
	}
	for _, ex := range forbidden {
		f.Add([]byte(ex.data))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		orig := string(data)
		ps := Check(data, BulkSender())
		if string(data) != orig {
			t.Fatal("Check changed its input")
		}
		lines := strings.Count(orig, "\n") + 1
		for _, p := range ps {
			if _, ok := ruleByID[p.Rule]; !ok || p.Line < 0 || p.Line > lines {
				t.Fatalf("problem %+v (data has %d lines)", p, lines)
			}
		}
	})
}
