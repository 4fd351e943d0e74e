package launcher

import (
	"io"
	"os"
	"sync"
	"syscall"
)

// countedPipe is the launcher's end of the handshake pipe as the handshake's reader reads
// it: it counts what a read takes from the pipe in the same step as the read, under a
// lock that written takes too. Counted after the read returned (handshake.Reader.Taken),
// the bytes a read had just taken were for a moment neither in the pipe nor counted: a
// launcher stopped by a signal (Ctrl-Z) while its daemon got ready, and continued past its
// deadline, could look at the deadline in that moment and take the daemon's word, written
// in time, for a late one, and kill a ready daemon.
type countedPipe struct {
	f     *os.File
	rc    syscall.RawConn
	mu    sync.Mutex
	taken int64 // bytes read from the pipe
}

// newCountedPipe reads f, which must be in the runtime's poller (os.Pipe's ends are): a
// read waits there for bytes, never holding the lock.
func newCountedPipe(f *os.File) (*countedPipe, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	return &countedPipe{f: f, rc: rc}, nil
}

// testHookCountedRead, when set by a test, runs in Read between the read that took bytes
// from the pipe and their count.
var testHookCountedRead func()

// Read reads from the pipe: the bytes read, io.EOF once the daemon's end is closed and the
// pipe empty, or an *os.PathError.
func (p *countedPipe) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	var n int
	var rerr error
	err := p.rc.Read(func(fd uintptr) bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		for {
			n, rerr = syscall.Read(int(fd), b)
			if rerr != syscall.EINTR {
				break
			}
		}
		if rerr == syscall.EAGAIN {
			return false // nothing yet: wait in the poller, without the lock
		}
		if n > 0 {
			if testHookCountedRead != nil {
				testHookCountedRead()
			}
			p.taken += int64(n)
		}
		return true
	})
	switch {
	case err != nil: // the pipe closed under the read (the launcher is done with it)
		return 0, &os.PathError{Op: "read", Path: p.f.Name(), Err: err}
	case rerr != nil:
		return 0, &os.PathError{Op: "read", Path: p.f.Name(), Err: rerr}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// written is how many bytes the daemon has written down the pipe so far: those read from
// it, and those that wait in it (pendingBytes; off Linux, those read alone).
func (p *countedPipe) written() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.taken + int64(pendingBytes(p.f))
}
