package smtptest_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/smtptest/smtptest"
)

// scaleEnv makes the test binary run TestManyServersChild with that many
// servers, in a process of its own (see TestManyServersAliveAtOnce).
const scaleEnv = "SMTPTEST_SCALE_SERVERS"

// TestManyServersAliveAtOnce is a large suite in one process: 1,000
// parallel subtests, each with its own server that receives a message,
// all alive at the same moment. It must complete (no port exhaustion, no
// descriptor or goroutine trouble) and the memory a live server holds must
// not grow with the number of servers: the cost at 1,000 is compared with
// the cost at 100, per server.
//
// The subtests run in a child process because only -test.parallel lets
// 1,000 parallel subtests run at once, and it cannot be set from inside a
// test.
func TestManyServersAliveAtOnce(t *testing.T) {
	if os.Getenv(scaleEnv) != "" {
		t.Skip("this is the child process; TestManyServersChild runs here")
	}
	if testing.Short() {
		t.Skip("starts 1,100 servers in child processes; run without -short")
	}
	small, large := runScaleChild(t, 100), runScaleChild(t, 1000)
	t.Logf("100 servers: %v", small)
	t.Logf("1000 servers: %v", large)
	// After a GC, live heap per server is near deterministic; the slack
	// covers runtime structures that grow in steps (maps, stacks).
	if large.heapPerServer > small.heapPerServer*5/4+4096 {
		t.Errorf("live heap per server grows with the number of servers: %d B at 100, %d B at 1000",
			small.heapPerServer, large.heapPerServer)
	}
	if large.goroutinesPerServer > small.goroutinesPerServer+1 {
		t.Errorf("goroutines per server grow with the number of servers: %.1f at 100, %.1f at 1000",
			small.goroutinesPerServer, large.goroutinesPerServer)
	}
}

type scaleResult struct {
	heapPerServer       int64
	stackPerServer      int64
	goroutinesPerServer float64
}

func (r scaleResult) String() string {
	return fmt.Sprintf("%d B live heap, %d B stack, %.1f goroutines per live server (each with its subtest)",
		r.heapPerServer, r.stackPerServer, r.goroutinesPerServer)
}

// runScaleChild runs TestManyServersChild with n servers and reads what it
// measured from its output.
func runScaleChild(t *testing.T, n int) scaleResult {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestManyServersChild$",
		"-test.parallel="+strconv.Itoa(n), "-test.count=1")
	cmd.Env = append(os.Environ(), scaleEnv+"="+strconv.Itoa(n))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child with %d servers: %v\n%s", n, err, out)
	}
	var r scaleResult
	i := bytes.Index(out, []byte("SCALE "))
	if i < 0 {
		t.Fatalf("child with %d servers printed no measurement:\n%s", n, out)
	}
	if _, err := fmt.Sscanf(string(out[i:]), "SCALE heap=%d stack=%d goroutines=%g",
		&r.heapPerServer, &r.stackPerServer, &r.goroutinesPerServer); err != nil {
		t.Fatalf("child with %d servers: reading %q: %v", n, out[i:], err)
	}
	return r
}

// TestManyServersChild is the child of TestManyServersAliveAtOnce. Every
// subtest starts a server and sends it a message; the last to get there
// measures memory while all servers are alive, then releases the others,
// whose servers close as their subtests end.
func TestManyServersChild(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv(scaleEnv))
	if n == 0 {
		t.Skip("run by TestManyServersAliveAtOnce")
	}
	before := memNow()
	var (
		arrived atomic.Int64
		all     = make(chan struct{})
		once    sync.Once
	)
	release := func() { once.Do(func() { close(all) }) }
	for i := range n {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			defer func() {
				if t.Failed() {
					release() // the others must not wait for this one
				}
			}()
			// The measure is taken when every server has finished its
			// connection: one still being torn down holds go-smtp's
			// buffers, and how many are at that moment is chance.
			closed := make(chan struct{}, 1)
			srv := smtptest.NewServer(t, smtptest.OnEvent(func(ev smtptest.Event) {
				if ev.Kind == smtptest.EventClose {
					closed <- struct{}{}
				}
			}))
			from := fmt.Sprintf("sender%d@example.com", i)
			sendMail(t, srv, from, []string{"rcpt@example.org"}, simpleMsg)
			<-closed
			if got := srv.Messages(); len(got) != 1 || got[0].From != from {
				t.Errorf("server %d recorded %d messages, want the one from %s", i, len(got), from)
			}
			if arrived.Add(1) == int64(n) {
				during := memNow()
				fmt.Printf("SCALE heap=%d stack=%d goroutines=%g\n",
					(during.heap-before.heap)/int64(n),
					(during.stack-before.stack)/int64(n),
					float64(during.goroutines-before.goroutines)/float64(n))
				release()
			}
			<-all
		})
	}
}

type memSample struct {
	heap, stack int64
	goroutines  int
}

// memNow returns the live heap after a collection, the stacks in use and
// the number of goroutines.
func memNow() memSample {
	// Twice: what sync.Pools hold (the buffers messages are read into)
	// survives one collection in their victim caches, and how much that is
	// depends on scheduling.
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memSample{int64(ms.HeapAlloc), int64(ms.StackInuse), runtime.NumGoroutine()}
}
