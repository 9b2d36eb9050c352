package assert

import (
	"strings"
	"testing"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/lint"
)

// ClientSupport checks the HTML of every message the server received
// against what these mail clients support, by the caniemail data set
// (see [lint.Clients] for the names: "gmail", "outlook.windows",
// "apple-mail", ...). It fails the test (Errorf) for each feature a
// client does not support or supports only in part, naming the message,
// the line, the feature, the clients and the feature's caniemail page.
func ClientSupport(t testing.TB, srv *smtptest.Server, clients ...string) bool {
	t.Helper()
	return Checker{}.ClientSupport(t, srv, clients...)
}

// ClientSupport is [ClientSupport] on the messages in c's scope, with
// c's wait.
func (c Checker) ClientSupport(t testing.TB, srv *smtptest.Server, clients ...string) bool {
	t.Helper()
	msgs := c.messages(srv, 1)
	if len(msgs) == 0 {
		t.Errorf("assert.ClientSupport: no message to check")
		return false
	}
	ok := true
	for i, m := range msgs {
		var lines []string
		for _, p := range m.Lint(lint.Clients(clients...)) {
			if p.Rule == "content/client-support" || p.Rule == "lint/unknown-client" {
				lines = append(lines, "  "+p.String())
			}
		}
		if len(lines) > 0 {
			t.Errorf("assert.ClientSupport: message %d (%s) uses what %s lack:\n%s", i+1, m, strings.Join(clients, ", "), strings.Join(lines, "\n"))
			ok = false
		}
	}
	return ok
}
