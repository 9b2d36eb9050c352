package smtptest

import (
	"net"
	"time"
)

// slowLink is a connection as slow as a link of speed bytes per second in
// each direction, for [LinkSpeed], in the style of testing/iotest's
// readers: it reads at most a tenth of a second's worth at a time, and
// after each read and each piece written it waits as long as the bytes
// would take. It sits under TLS, as a real link does. Closing stop ends
// the waits (Server.Close); the call then fails with net.ErrClosed.
type slowLink struct {
	net.Conn
	speed int
	stop  <-chan struct{}
	// beforeWrite, if set, runs before each piece is written: the front
	// bounds each piece by its write timeout, as the pauses are not the
	// client's.
	beforeWrite func()
}

// piece is how many bytes the link carries in a tenth of a second (at
// least one).
func (l *slowLink) piece() int { return max(1, l.speed/10) }

// wait waits as long as n bytes take on the link, or until stop; it
// reports whether the whole time passed.
func (l *slowLink) wait(n int) bool {
	return sleep(time.Duration(n)*time.Second/time.Duration(l.speed), l.stop)
}

// sleep waits d, or until stop is closed; it reports whether the whole d
// passed. Fault delays and the slow link wait with it, so that Close ends
// every wait at once.
func sleep(d time.Duration, stop <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-stop:
		return false
	}
}

func (l *slowLink) Read(b []byte) (int, error) {
	n, err := l.Conn.Read(b[:min(len(b), l.piece())])
	if n > 0 && !l.wait(n) {
		return 0, net.ErrClosed
	}
	return n, err
}

func (l *slowLink) Write(b []byte) (int, error) {
	written := 0
	for len(b) > 0 {
		p := b[:min(len(b), l.piece())]
		if l.beforeWrite != nil {
			l.beforeWrite()
		}
		n, err := l.Conn.Write(p)
		written += n
		if err != nil {
			return written, err
		}
		if !l.wait(n) {
			return written, net.ErrClosed
		}
		b = b[n:]
	}
	return written, nil
}
