package interop

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smtptest/smtptest"
)

// TestNoticesInPython: an app written in Python sends with smtplib and
// the DSN parameters; the DSN the Bounces option sends back to its
// inbound server, a complaint and an auto-reply are read by Python's
// email package the way a bounce processor reads them.
func TestNoticesInPython(t *testing.T) {
	python := program(t, "python3", "python3")
	inbound := smtptest.NewServer(t)
	srv := smtptest.NewServer(t, smtptest.Domain("mx.example.org"), smtptest.Bounces{Match: "*@gone.example", SendTo: inbound.Addr()})
	host, port := hostPort(t, srv)
	send := `
import smtplib, sys
from email.message import EmailMessage
msg = EmailMessage()
msg["From"] = "App <app@example.com>"
msg["To"] = "ann@gone.example, bob@example.org"
msg["Subject"] = "Your order"
msg["Message-ID"] = "<order-9@example.com>"
msg.set_content("Thanks for your order.")
with smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=30) as s:
    s.ehlo()
    assert s.has_extn("dsn")
    s.sendmail("bounces@example.com", ["ann@gone.example", "bob@example.org"], msg.as_bytes(),
               mail_options=["RET=HDRS", "ENVID=order-9"],
               rcpt_options=["NOTIFY=FAILURE", "ORCPT=rfc822;Ann@Gone.example"])
`
	run(t, python, "-c", send, host, strconv.Itoa(port))
	m := srv.WaitForMessages(1, 20*time.Second)[0]
	dsn := inbound.WaitForMessages(1, 20*time.Second)[0]
	complaint, err := srv.Complain(m, "bob@example.org", smtptest.Complaint{})
	must(t, err)
	reply, err := srv.AutoReply(m, "bob@example.org", "Away until Monday.")
	must(t, err)

	dir := t.TempDir()
	files := map[string][]byte{"dsn.eml": dsn.Data, "arf.eml": complaint.Data, "reply.eml": reply.Data}
	for name, data := range files {
		must(t, os.WriteFile(filepath.Join(dir, name), data, 0o600))
	}
	read := `
import sys, email
from email import policy
def load(name):
    with open(sys.argv[1] + "/" + name, "rb") as f:
        return email.message_from_binary_file(f, policy=policy.default)
dsn = load("dsn.eml")
assert not dsn.defects, dsn.defects
print("dsn", dsn.get_content_type(), dsn.get_param("report-type"), dsn["Auto-Submitted"])
text, status, returned = dsn.get_payload()
per_message, *recipients = status.get_payload()
print("per-message", per_message["Reporting-MTA"], per_message["Original-Envelope-Id"])
for r in recipients:
    print("recipient", r["Final-Recipient"], r["Original-Recipient"], r["Action"], r["Status"], r["Diagnostic-Code"])
print("returned", returned.get_content_type())
arf = load("arf.eml")
assert not arf.defects, arf.defects
print("arf", arf.get_content_type(), arf.get_param("report-type"))
report = arf.get_payload()[1]
fields = report.get_payload()[0]
print("feedback", report.get_content_type(), fields["Feedback-Type"], fields["Original-Rcpt-To"], fields["Source-IP"])
print("original", arf.get_payload()[2].get_content_type(), arf.get_payload()[2].get_payload()[0]["Subject"])
reply = load("reply.eml")
print("reply", reply["Auto-Submitted"], reply["In-Reply-To"], reply["Subject"], reply.get_content().strip())
`
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "-c", read, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	want := `dsn multipart/report delivery-status auto-replied
per-message dns; mx.example.org order-9
recipient rfc822; ann@gone.example rfc822; Ann@Gone.example failed 5.1.1 smtp; 550 5.1.1 User unknown
returned text/rfc822-headers
arf multipart/report feedback-report
feedback message/feedback-report abuse <bob@example.org> 127.0.0.1
original message/rfc822 Your order
reply auto-replied <order-9@example.com> Auto: Your order Away until Monday.
`
	if got := string(out); got != want {
		t.Errorf("Python's email package read:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(string(dsn.Data), "Thanks for your order.") {
		t.Error("RET=HDRS returned the body")
	}
}
