package lint

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/smtptest/smtptest/internal/growth"
)

// manyDefects is good with about n bytes of defects that each used to be
// one problem: 8-bit fields, encoded-words that do not decode, and a
// multipart body of parts with bad base64.
func manyDefects(n int) []byte {
	var b strings.Builder
	h, _, _ := strings.Cut(good, "\r\n\r\n")
	b.WriteString(strings.Replace(h, "Content-Type: text/plain; charset=utf-8", `Content-Type: multipart/mixed; boundary="b"`, 1))
	b.WriteString("\r\n")
	for i := 0; b.Len() < n/2; i++ {
		fmt.Fprintf(&b, "X-Bad-%d: caf\xc3\xa9 =?utf-8?x?broken?=\r\n", i)
	}
	b.WriteString("\r\n")
	for b.Len() < n {
		b.WriteString("--b\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!\r\n")
	}
	b.WriteString("--b--\r\n")
	return []byte(b.String())
}

// TestCheckLimits: a message with a defect on every line gets at most
// MaxPerRule problems of a rule and MaxProblems in all, then one
// lint/truncated problem that counts the rest, with the highest severity
// among them.
func TestCheckLimits(t *testing.T) {
	ps := Check(manyDefects(256 << 10))
	if len(ps) > MaxProblems+1 {
		t.Fatalf("%d problems; want at most %d", len(ps), MaxProblems+1)
	}
	per := map[string]int{}
	for _, p := range ps {
		per[p.Rule]++
	}
	for r, n := range per {
		if n > MaxPerRule {
			t.Errorf("%d problems of %s; want at most %d", n, r, MaxPerRule)
		}
	}
	last := ps[len(ps)-1]
	if last.Rule != "lint/truncated" || last.Severity != Error || !strings.Contains(last.Text, "header/8bit") || !strings.Contains(last.Text, "mime/base64") {
		t.Errorf("last problem = %v; want lint/truncated, an Error, counting header/8bit and mime/base64", last)
	}
	// The problems listed are the first ones, with their lines.
	if ps[0].Line == 0 || per["header/8bit"] != MaxPerRule {
		t.Errorf("problems = %v", ps[:5])
	}
	for _, p := range ps {
		if p.Rule == "header/8bit" && p.Line < 8 {
			t.Errorf("header/8bit on line %d; the first bad field is on line 8", p.Line)
		}
	}
	if ps := Check([]byte(withHeader("Subject", "Subject: caf\xc3\xa9"))); len(ps) != 1 || ps[0].Rule != "header/8bit" {
		t.Errorf("one defect: %v; want it alone, not truncated", ps)
	}
}

// TestCheckLines: problems carry the line of the data they are on, found
// without a table of every line.
func TestCheckLines(t *testing.T) {
	msg := withHeader("Subject", "Subject: caf\xc3\xa9") + strings.Repeat("ok\r\n", 1000) + "bare\n" + strings.Repeat("ok\r\n", 10) + strings.Repeat("y", 1000) + "\r\n"
	got := map[string]int{}
	for _, p := range Check([]byte(msg)) {
		got[p.Rule] = p.Line
	}
	want := map[string]int{"header/8bit": 4, "line/bare-lf": 1010, "line/too-long": 1021}
	for r, l := range want {
		if got[r] != l {
			t.Errorf("%s on line %d; want %d (all: %v)", r, got[r], l, got)
		}
	}
}

// TestCheckGrowsLinearly: time per byte at 64 KiB and 1 MiB of defects
// is about the same.
func TestCheckGrowsLinearly(t *testing.T) {
	growth.Linear(t, manyDefects, func(data []byte) { Check(data) })
}

// TestCheckMemory: Check allocates about the same per byte of a
// message with a defect on every line at 64 KiB and 1 MiB (it kept a
// problem per defect and 8 bytes per line: a 24 MB message took 3.8 GB).
// The numbers are logged; the bound is loose.
func TestCheckMemory(t *testing.T) {
	perByte := func(n int) float64 {
		data := manyDefects(n)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		Check(data)
		runtime.ReadMemStats(&after)
		return float64(after.TotalAlloc-before.TotalAlloc) / float64(len(data))
	}
	small, large := perByte(growth.Small), perByte(growth.Large)
	t.Logf("allocated %.2f bytes per byte at 64 KiB, %.2f at 1 MiB", small, large)
	if large > 2*small+1 {
		t.Errorf("allocated %.2f bytes per byte at 1 MiB, %.2f at 64 KiB: more than proportional", large, small)
	}
}

// TestLinesCleanAgrees: the quick test of line structure says clean
// exactly when the pass over every byte finds nothing, on lines around
// the 998-octet limit and random mixes of CR, LF and NUL.
func TestLinesCleanAgrees(t *testing.T) {
	var inputs []string
	for _, n := range []int{0, 1, 997, 998, 999, 1000} {
		line := strings.Repeat("x", n)
		inputs = append(inputs, line, line+"\r\n", "a\r\n"+line+"\r\nb", line+"\n", line+"\r")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "\r", "\n", "\r\n", "\r\n", "\x00", strings.Repeat("y", 500)}
	for range 5000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		inputs = append(inputs, b.String())
	}
	for _, in := range inputs {
		c := checker{data: []byte(in)}
		clean := c.linesClean()
		c.checkLinesEachByte()
		if clean != (len(c.problems) == 0) {
			t.Fatalf("%q: linesClean %v, the byte pass found %v", in, clean, c.problems)
		}
	}
}
