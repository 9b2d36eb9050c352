package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"
)

// clientEnv makes the test binary a client process (see TestMain).
const clientEnv = "SMTPTEST_BENCH_CLIENT"

// clientCPUEnv, if set, is the CPU the client process runs on (with
// taskset); run.sh sets it and runs the benchmarks on another.
const clientCPUEnv = "SMTPTEST_BENCH_CLIENT_CPU"

func TestMain(m *testing.M) {
	if os.Getenv(clientEnv) != "" {
		os.Exit(clientProcess())
	}
	os.Exit(m.Run())
}

// clientProcess reads an address per line from stdin, runs an EHLO/QUIT
// session with it and writes a line to stdout when done.
func clientProcess() int {
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if addr := in.Text(); addr != "" { // "": only the round trip
			dial(exitTB{}, addr).quit()
		}
		if _, err := os.Stdout.Write([]byte("\n")); err != nil {
			return 1
		}
	}
	return 0
}

// exitTB is the testing.TB of the client process: a failure ends it, and
// the benchmark sees its output end.
type exitTB struct{ testing.TB }

func (exitTB) Fatal(args ...any) { fmt.Fprintln(os.Stderr, args...); os.Exit(1) }
func (exitTB) Fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

// startClient starts the client process (see clientProcess) and returns
// its input and output; it ends with the benchmark.
func startClient(b *testing.B) (io.Writer, io.Reader) {
	cmd := exec.Command(os.Args[0])
	if cpu := os.Getenv(clientCPUEnv); cpu != "" {
		cmd = exec.Command("taskset", "-c", cpu, os.Args[0])
	}
	cmd.Env = append(os.Environ(), clientEnv+"=1")
	cmd.Stderr = os.Stderr
	w, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	r, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		w.Close()
		cmd.Wait()
	})
	return w, r
}

// BenchmarkSplitRoundTrip is the part of BenchmarkStartSessionCloseSplit
// that is no server's: a line to the client process and one back.
func BenchmarkSplitRoundTrip(b *testing.B) {
	w, r := startClient(b)
	done := make([]byte, 1)
	for b.Loop() {
		if _, err := io.WriteString(w, "\n"); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(r, done); err != nil {
			b.Fatalf("client process: %v", err)
		}
	}
}

// BenchmarkStartSessionCloseSplit is BenchmarkStartSessionClose with the
// client in a process of its own: server and client do not share the
// benchmark process's scheduler, and run.sh pins each to its own CPU. The
// round trip to the client process (a line each way on pipes) is in every
// server's time alike; BenchmarkSplitRoundTrip measures it.
func BenchmarkStartSessionCloseSplit(b *testing.B) {
	w, r := startClient(b)
	done := make([]byte, 1)
	for _, s := range servers {
		b.Run("server="+s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				addr, stop := s.start(b)
				if _, err := io.WriteString(w, addr+"\n"); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(r, done); err != nil {
					b.Fatalf("client process: %v", err)
				}
				stop()
			}
		})
	}
}
