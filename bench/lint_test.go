package bench

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/smtptest/smtptest/lint"
)

// lintMessage builds a complete message of about size bytes: a text part,
// and past 1 KiB an HTML part and a base64 attachment that fill the rest.
func lintMessage(size int) []byte {
	var b strings.Builder
	b.WriteString("Date: Tue, 01 Dec 2026 20:00:00 +0000\r\nFrom: App <app@example.com>\r\nTo: ann@example.org\r\n" +
		"Subject: =?utf-8?q?Your_report_=E2=9C=93?=\r\nMessage-ID: <report-1@example.com>\r\nMIME-Version: 1.0\r\n")
	if size <= 1<<10 {
		b.WriteString("Content-Type: text/plain; charset=utf-8\r\n\r\n")
		for b.Len() < size {
			b.WriteString("A line of the report, as a mailer writes it, well under 78.\r\n")
		}
		return []byte(b.String())
	}
	b.WriteString("Content-Type: multipart/mixed; boundary=outer\r\n\r\n--outer\r\nContent-Type: multipart/alternative; boundary=alt\r\n\r\n")
	b.WriteString("--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe report is attached.\r\n")
	b.WriteString("--alt\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>The report is =E2=9C=93 attached.</p>\r\n--alt--\r\n")
	b.WriteString("--outer\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=report.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	raw := make([]byte, (size-b.Len())*3/4)
	for i := range raw {
		raw[i] = byte(i * 7)
	}
	enc := base64.StdEncoding.EncodeToString(raw)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--outer--\r\n")
	return []byte(b.String())
}

// BenchmarkLint measures lint.Check on complete messages: a typical 1 KiB
// one (compare with Throughput/size=1KiB/sessions=1, receiving one), and
// 16 KiB, 256 KiB and 4 MiB with an attachment, whose MB/s show that the
// time per byte stays flat.
func BenchmarkLint(b *testing.B) {
	for _, size := range []int{1 << 10, 16 << 10, 256 << 10, 4 << 20} {
		data := lintMessage(size)
		if ps := lint.Check(data); len(ps) != 0 {
			b.Fatalf("the benchmark message has problems: %v", ps)
		}
		b.Run(fmt.Sprintf("size=%s", sizeName(size)), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				lint.Check(data)
			}
		})
	}
}

func sizeName(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return fmt.Sprintf("%dKiB", n>>10)
}
