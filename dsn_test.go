package smtptest_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-smtp"
	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/lint"
)

const dsnTestMessage = "From: App <app@shop.example>\r\nTo: ann@example.org, bob@example.org\r\nSubject: Your order\r\nMessage-ID: <order-1@shop.example>\r\nDate: Fri, 04 Dec 2026 10:00:00 +0000\r\n\r\nThanks for your order.\r\n"

// sendWith sends msg from from to the recipients with go-smtp's client,
// which speaks the DSN parameters.
func sendWith(t *testing.T, addr, from string, mailOpts *smtp.MailOptions, msg string, rcpts map[string]*smtp.RcptOptions, order ...string) {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail(from, mailOpts); err != nil {
		t.Fatal(err)
	}
	for _, to := range order {
		if err := c.Rcpt(to, rcpts[to]); err != nil {
			t.Fatal(err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, msg)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
}

// report is a multipart/report as a bounce processor reads it.
type report struct {
	header     message.Header
	reportType string
	parts      []*message.Entity
	fields     []textproto.Header // the groups of the second part
	returned   string             // the third part's body
}

// readReport parses data the way a bounce processor does, with
// go-message, failing the test on anything that is not a well-formed
// three-part multipart/report with no Error from lint.
func readReport(t *testing.T, data []byte) report {
	t.Helper()
	for _, p := range lint.Check(data) {
		if p.Severity == lint.Error {
			t.Errorf("lint: %v", p)
		}
	}
	e, err := message.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	ct, params, err := e.Header.ContentType()
	if err != nil || ct != "multipart/report" {
		t.Fatalf("Content-Type %q, %v; want multipart/report", ct, err)
	}
	r := report{header: e.Header, reportType: params["report-type"]}
	mr := e.MultipartReader()
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(p.Body)
		p.Body = bytes.NewReader(body)
		r.parts = append(r.parts, p)
		if len(r.parts) == 2 {
			br := bufio.NewReader(bytes.NewReader(body))
			for {
				if _, err := br.Peek(1); err != nil {
					break
				}
				h, err := textproto.ReadHeader(br)
				if err != nil {
					t.Fatalf("status fields: %v\n%s", err, body)
				}
				r.fields = append(r.fields, h)
			}
		}
		if len(r.parts) == 3 {
			r.returned = string(body)
		}
	}
	if len(r.parts) != 3 {
		t.Fatalf("%d parts, want 3:\n%s", len(r.parts), data)
	}
	return r
}

func TestBounceDSN(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.Domain("mx.example.org"))
	sendWith(t, srv.Addr(), "bounces+42@shop.example", &smtp.MailOptions{EnvelopeID: "order-1 batch", Return: smtp.DSNReturnFull}, dsnTestMessage,
		map[string]*smtp.RcptOptions{
			"ann@example.org": {Notify: []smtp.DSNNotify{smtp.DSNNotifyFailure}, OriginalRecipientType: smtp.DSNAddressTypeRFC822, OriginalRecipient: "Ann@Example.org"},
			"bob@example.org": {Notify: []smtp.DSNNotify{smtp.DSNNotifyNever}},
		}, "ann@example.org", "bob@example.org")
	m := srv.WaitForMessages(1, ioBound)[0]

	n, err := srv.Bounce(m, smtptest.DeliveryStatus{RemoteMTA: "mail.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if n.Kind != smtptest.KindDSN || n.From != "" || n.To != "bounces+42@shop.example" || n.About != m.ID {
		t.Errorf("notice %v from <%s> to <%s> about %d", n.Kind, n.From, n.To, n.About)
	}
	r := readReport(t, n.Data)
	if r.reportType != "delivery-status" {
		t.Errorf("report-type %q", r.reportType)
	}
	for k, want := range map[string]string{"From": `"Mail Delivery System" <MAILER-DAEMON@mx.example.org>`, "To": "<bounces+42@shop.example>", "Auto-Submitted": "auto-replied", "Subject": "Undelivered Mail Returned to Sender"} {
		if got := r.header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if ct, _, _ := r.parts[1].Header.ContentType(); ct != "message/delivery-status" {
		t.Errorf("second part %s", ct)
	}
	// bob said NOTIFY=NEVER: only ann is reported.
	if len(r.fields) != 2 {
		t.Fatalf("%d field groups, want per-message and ann's", len(r.fields))
	}
	for k, want := range map[string]string{"Reporting-MTA": "dns; mx.example.org", "Original-Envelope-Id": "order-1+20batch"} {
		if got := r.fields[0].Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if r.fields[0].Get("Arrival-Date") == "" {
		t.Error("no Arrival-Date")
	}
	for k, want := range map[string]string{
		"Final-Recipient": "rfc822; ann@example.org", "Original-Recipient": "rfc822; Ann@Example.org",
		"Action": "failed", "Status": "5.1.1", "Remote-MTA": "dns; mail.example.org",
		"Diagnostic-Code": "smtp; 550 5.1.1 User unknown",
	} {
		if got := r.fields[1].Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if ct, _, _ := r.parts[2].Header.ContentType(); ct != "message/rfc822" || !strings.Contains(r.returned, "Thanks for your order.") {
		t.Errorf("returned part %s:\n%s", ct, r.returned)
	}
	if text, _ := io.ReadAll(r.parts[0].Body); !bytes.Contains(text, []byte("<ann@example.org>: 550 5.1.1 User unknown")) {
		t.Errorf("explanation:\n%s", text)
	}
}

func TestBounceReturnHeaders(t *testing.T) {
	srv := smtptest.NewServer(t)
	sendWith(t, srv.Addr(), "app@shop.example", &smtp.MailOptions{Return: smtp.DSNReturnHeaders}, dsnTestMessage,
		map[string]*smtp.RcptOptions{}, "ann@example.org")
	m := srv.WaitForMessages(1, ioBound)[0]
	n, err := srv.Bounce(m, smtptest.DeliveryStatus{Reply: &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 2, 2}, Message: "Mailbox full"}}, "ANN@example.org")
	if err != nil {
		t.Fatal(err)
	}
	r := readReport(t, n.Data)
	if ct, _, _ := r.parts[2].Header.ContentType(); ct != "text/rfc822-headers" {
		t.Errorf("RET=HDRS returned a %s", ct)
	}
	if strings.Contains(r.returned, "Thanks") || !strings.Contains(r.returned, "Subject: Your order") {
		t.Errorf("returned:\n%s", r.returned)
	}
	if got := r.fields[1].Get("Status"); got != "5.2.2" {
		t.Errorf("Status %q", got)
	}
	if got := r.fields[1].Get("Diagnostic-Code"); got != "smtp; 552 5.2.2 Mailbox full" {
		t.Errorf("Diagnostic-Code %q", got)
	}
}

func TestBounceSuccessAndDelay(t *testing.T) {
	srv := smtptest.NewServer(t)
	sendWith(t, srv.Addr(), "app@shop.example", nil, dsnTestMessage,
		map[string]*smtp.RcptOptions{
			"ann@example.org": {Notify: []smtp.DSNNotify{smtp.DSNNotifySuccess, smtp.DSNNotifyDelayed}},
			"bob@example.org": nil,
		}, "ann@example.org", "bob@example.org")
	m := srv.WaitForMessages(1, ioBound)[0]

	// Without NOTIFY, bob asked for failures and delays, not success.
	n, err := srv.Bounce(m, smtptest.DeliveryStatus{Action: smtptest.ActionDelivered})
	if err != nil {
		t.Fatal(err)
	}
	r := readReport(t, n.Data)
	if len(r.fields) != 2 || r.fields[1].Get("Final-Recipient") != "rfc822; ann@example.org" || r.fields[1].Get("Action") != "delivered" || r.fields[1].Get("Status") != "2.0.0" {
		t.Errorf("success DSN fields %v", r.fields)
	}
	if ct, _, _ := r.parts[2].Header.ContentType(); ct != "text/rfc822-headers" {
		t.Errorf("a success DSN returned a %s", ct)
	}
	if _, err := srv.Bounce(m, smtptest.DeliveryStatus{Action: smtptest.ActionDelivered}, "bob@example.org"); !errors.Is(err, smtptest.ErrNoNotice) {
		t.Errorf("success DSN for bob without NOTIFY: %v, want ErrNoNotice", err)
	}
	n, err = srv.Bounce(m, smtptest.DeliveryStatus{Action: smtptest.ActionDelayed})
	if err != nil {
		t.Fatal(err)
	}
	r = readReport(t, n.Data)
	if len(r.fields) != 3 || r.fields[2].Get("Action") != "delayed" || r.fields[2].Get("Status") != "4.4.1" || r.header.Get("Subject") != "Delayed Mail (still being retried)" {
		t.Errorf("delay DSN %q fields %v", r.header.Get("Subject"), r.fields)
	}
}

func TestBounceRefusals(t *testing.T) {
	srv := smtptest.NewServer(t)
	sendWith(t, srv.Addr(), "", nil, dsnTestMessage, nil, "ann@example.org")
	sendWith(t, srv.Addr(), "app@shop.example", nil, dsnTestMessage,
		map[string]*smtp.RcptOptions{"ann@example.org": {Notify: []smtp.DSNNotify{smtp.DSNNotifyNever}}}, "ann@example.org")
	msgs := srv.WaitForMessages(2, ioBound)

	for _, tc := range []struct {
		name   string
		m      *smtptest.Message
		st     smtptest.DeliveryStatus
		rcpts  []string
		notice bool // the error wraps ErrNoNotice
		want   string
	}{
		{"null sender", msgs[0], smtptest.DeliveryStatus{}, nil, true, "null sender"},
		{"NOTIFY=NEVER", msgs[1], smtptest.DeliveryStatus{}, nil, true, "<ann@example.org> NOTIFY=NEVER"},
		{"not a recipient", msgs[1], smtptest.DeliveryStatus{}, []string{"carl@example.org"}, false, "<carl@example.org> is not a recipient"},
		{"reply of the wrong class", msgs[1], smtptest.DeliveryStatus{Reply: &smtp.SMTPError{Code: 451, Message: "later"}}, nil, false, "a failed DSN needs a 5xx reply"},
		{"enhanced code of the wrong class", msgs[1], smtptest.DeliveryStatus{Reply: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{4, 1, 1}}}, nil, false, "does not go with reply 550"},
		{"nil message", nil, smtptest.DeliveryStatus{}, nil, false, "nil Message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := srv.Bounce(tc.m, tc.st, tc.rcpts...)
			if n != nil || err == nil || errors.Is(err, smtptest.ErrNoNotice) != tc.notice || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Bounce = %v, %v; want an error with %q (ErrNoNotice: %v)", n, err, tc.want, tc.notice)
			}
		})
	}
}

// BenchmarkBounce makes the DSN of a 1 KiB message and of a 1 MiB one.
func BenchmarkBounce(b *testing.B) {
	srv := smtptest.NewServer(b)
	for _, size := range []int{1 << 10, 1 << 20} {
		body := strings.Repeat(strings.Repeat("x", 76)+"\r\n", size/78)
		c, err := smtp.Dial(srv.Addr())
		if err != nil {
			b.Fatal(err)
		}
		if err := c.SendMail("app@shop.example", []string{"ann@example.org"}, strings.NewReader(dsnTestMessage+body)); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
	msgs := srv.WaitForMessages(2, ioBound)
	for i, name := range []string{"1KiB", "1MiB"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := srv.Bounce(msgs[i], smtptest.DeliveryStatus{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestBounceLeavesDataAlone: returning a message whose Data has spare
// capacity and no final CRLF writes nothing into that capacity.
func TestBounceLeavesDataAlone(t *testing.T) {
	srv := smtptest.NewServer(t)
	data := make([]byte, 0, 4096)
	data = append(data, "From: a@example.com\r\nSubject: x\r\n\r\nno final CRLF"...)
	spare := data[len(data):cap(data)]
	for i := range spare {
		spare[i] = 'Z'
	}
	m := &smtptest.Message{Envelope: smtptest.Envelope{From: "a@example.com", To: []string{"b@example.org"}}, Data: data}
	if _, err := srv.Bounce(m, smtptest.DeliveryStatus{}); err != nil {
		t.Fatal(err)
	}
	if spare[0] != 'Z' || spare[1] != 'Z' {
		t.Errorf("Bounce wrote into the message's spare capacity: %q", spare[:2])
	}
}
