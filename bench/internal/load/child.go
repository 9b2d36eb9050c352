package load

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// Child is a cmd/smtptest process a bench command runs.
type Child struct {
	Cmd   *exec.Cmd
	Ready string // its ready line
	dir   string // where it was built, removed by Stop
}

// Start builds cmd/smtptest (or runs bin, an older build to compare,
// if it is not ""), starts it with args, its standard error on ours (its
// warnings, and GODEBUG=gctrace=1's lines), reads its ready line and
// discards the rest of its output.
func Start(bin string, args ...string) (*Child, error) {
	dir, err := os.MkdirTemp("", "smtptest-bench")
	if err != nil {
		return nil, err
	}
	c := &Child{dir: dir}
	if bin == "" {
		bin = filepath.Join(dir, "smtptest")
		if out, err := exec.Command("go", "build", "-o", bin, "github.com/smtptest/smtptest/cmd/smtptest").CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("build: %v\n%s", err, out)
		}
	}
	c.Cmd = exec.Command(bin, args...)
	c.Cmd.Stderr = os.Stderr
	out, err := c.Cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.Cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	r := bufio.NewReader(out)
	if c.Ready, err = r.ReadString('\n'); err != nil {
		c.Stop()
		return nil, err
	}
	go io.Copy(io.Discard, r)
	return c, nil
}

// Stop stops the process by its PID (SIGTERM), waits for it, and removes
// what Start built.
func (c *Child) Stop() {
	c.Cmd.Process.Signal(syscall.SIGTERM)
	c.Cmd.Wait()
	os.RemoveAll(c.dir)
}
