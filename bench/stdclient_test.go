package bench

import (
	"net"
	"net/smtp"
	"testing"
)

// BenchmarkStartSessionCloseStdlib is BenchmarkStartSessionClose with
// net/smtp as the client, which is what much code under test uses: it
// waits for each reply (no pipelining), and so measures round trips more
// than the server.
func BenchmarkStartSessionCloseStdlib(b *testing.B) {
	for _, s := range servers {
		b.Run("server="+s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				addr, stop := s.start(b)
				nc, err := net.Dial("tcp", addr)
				if err != nil {
					b.Fatal(err)
				}
				c, err := smtp.NewClient(nc, "127.0.0.1")
				if err != nil {
					b.Fatal(err)
				}
				if err := c.Hello("client.example"); err != nil {
					b.Fatal(err)
				}
				nc.(*net.TCPConn).SetLinger(0) // no TIME_WAIT: see client.quit
				c.Quit()
				stop()
			}
		})
	}
}
