package interop

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMailpitClient runs interop/mailpit/client.test.mjs: npm mailpit-api
// 2.1.0, unmodified, against the built cmd/smtptest. It needs Node.js and
// the client installed from the lock file (npm ci in interop/mailpit),
// which .ci/run does.
func TestMailpitClient(t *testing.T) {
	runMailpitClient(t, "client.test.mjs")
}

// TestMailpitClientSandboxes runs interop/mailpit/sandboxes.test.mjs:
// two sandboxes made through the API and driven at once by npm
// mailpit-api pointed at their base URLs; neither sees the other's mail,
// faults or refusals.
func TestMailpitClientSandboxes(t *testing.T) {
	runMailpitClient(t, "sandboxes.test.mjs")
}

// runMailpitClient runs the script in interop/mailpit against a new
// built cmd/smtptest.
func runMailpitClient(t *testing.T, script string) {
	node := program(t, "node", "nodejs")
	if _, err := os.Stat("mailpit/node_modules/mailpit-api/package.json"); err != nil {
		t.Fatalf("the npm client is not installed: run npm ci in interop/mailpit (.ci/run does): %v", err)
	}
	bin := filepath.Join(t.TempDir(), "smtptest")
	run(t, "go", "build", "-o", bin, "github.com/smtptest/smtptest/cmd/smtptest")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := exec.CommandContext(ctx, bin, "-addr", "127.0.0.1:0", "-http", "127.0.0.1:0", "-quiet")
	out, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	ready, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("no ready line: %v", err)
	}
	// smtptest: listening on 127.0.0.1:PORT - HTTP API on http://127.0.0.1:PORT - fault seed N
	f := strings.Fields(ready)
	i := strings.Index(ready, "HTTP API on ")
	if len(f) < 4 || i < 0 {
		t.Fatalf("ready line %q", ready)
	}
	api := strings.Fields(ready[i+len("HTTP API on "):])[0]

	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = "mailpit"
	cmd.Env = append(os.Environ(), "MAILPIT_URL="+api, "SMTP_ADDR="+f[3])
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, b)
	}
	if !strings.HasPrefix(string(b), "ok: ") {
		t.Errorf("node %s: %s", script, b)
	}
	t.Logf("%s", b)
}
