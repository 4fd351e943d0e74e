package cli

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// errOutputGone is the cause of a foreground start's stop when what its output was piped
// into has ended: the supervisor stops the program as a stop does (its stop signal).
var errOutputGone = errors.New("its output's reader is gone (what it was piped into ended)")

// outputGoneStops says whether a foreground start typed at a shell (hangupStops: neither
// under nohup(1), a unit nor as PID 1), logging to its stderr (no --log), is to stop once
// the pipe its stdout or stderr goes into has no reader left ('start -- prog 2>&1 | grep
// -m1 x', grep having its line): as a command of a pipeline ends when the one it writes
// into does, rather than run on, its lines dropped, the pipeline never ending. A unit's
// (stderr the journal's), a container's PID 1 and a start under nohup, which asks to
// outlive the session its pipe's reader may belong to, run on, their lines dropped and
// counted. (An inherited SIGPIPE ignored cannot say so: Go's runtime catches SIGPIPE
// whatever the caller left it.)
func outputGoneStops(hangupStops bool, log string) bool {
	return hangupStops && log == ""
}

// untilOutputGone returns a context cancelled with errOutputGone as soon as one of ws that
// is a pipe or a socket has no reader left (else it ends with ctx alone), and the
// function that stops watching. The descriptors are watched through duplicates of their
// own, so that work that closes os.Stderr, whose number the next file then takes, is not
// taken for a reader gone.
func untilOutputGone(ctx context.Context, ws ...io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	var fds []unix.PollFd
	for _, w := range ws {
		f, ok := w.(*os.File)
		if !ok {
			continue
		}
		if fi, err := f.Stat(); err != nil || fi.Mode()&(os.ModeNamedPipe|os.ModeSocket) == 0 {
			continue
		}
		fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 3)
		if err != nil {
			continue
		}
		fds = append(fds, unix.PollFd{Fd: int32(fd)})
	}
	if len(fds) == 0 {
		return ctx, func() { cancel(nil) }
	}
	done := make(chan struct{})
	go func() {
		defer func() {
			for _, p := range fds {
				_ = unix.Close(int(p.Fd))
			}
		}()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			default:
			}
			// With no events asked for, poll reports only POLLERR or POLLHUP: the write
			// end of a pipe whose reader closed it gets POLLERR. It is looked at every
			// second, so that the goroutine ends soon after the start does.
			n, err := unix.Poll(fds, 1000)
			if err != nil && err != unix.EINTR {
				return
			}
			for _, p := range fds {
				if n > 0 && p.Revents&(unix.POLLERR|unix.POLLHUP) != 0 {
					cancel(errOutputGone)
					return
				}
			}
		}
	}()
	return ctx, sync.OnceFunc(func() {
		close(done)
		cancel(nil)
	})
}
