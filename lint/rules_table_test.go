package lint

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestREADMERuleTable checks that the README's rule table is lint.Rules,
// so that the documentation never drifts from the code. Regenerate it with
// SMTPTEST_WRITE_RULES=1 go test -v -run TestREADMERuleTable ./lint (it
// prints the table).
func TestREADMERuleTable(t *testing.T) {
	var b strings.Builder
	b.WriteString("| rule | severity | reference | what |\n| --- | --- | --- | --- |\n")
	for _, r := range Rules {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", r.ID, r.Severity, r.Ref, r.Doc)
	}
	table := b.String()
	if os.Getenv("SMTPTEST_WRITE_RULES") != "" {
		fmt.Print(table)
		return
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), table) {
		t.Errorf("README.md lacks the rule table as lint.Rules has it; run SMTPTEST_WRITE_RULES=1 go test -v -run TestREADMERuleTable ./lint and paste:\n%s", table)
	}
}
