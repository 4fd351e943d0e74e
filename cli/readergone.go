package cli

import (
	"context"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// untilReaderGone returns a context that ends with ctx, or as soon as w, when it is a pipe
// or a socket, has no reader left: 'logs -f | head -1' then ends once head has its line and
// exits, as tail -f does, instead of waiting for the next line to fail to write. Where w is
// anything else (a terminal, a file), it is ctx's own end.
func untilReaderGone(ctx context.Context, w io.Writer) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	f, ok := w.(*os.File)
	if !ok {
		return ctx, cancel
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&(os.ModeNamedPipe|os.ModeSocket) == 0 {
		return ctx, cancel
	}
	fd := int(f.Fd())
	go func() {
		defer cancel()
		// With no events asked for, poll reports only POLLERR or POLLHUP: the write end
		// of a pipe whose reader closed it gets POLLERR. It is checked every second, so
		// that the goroutine ends soon after ctx does.
		fds := []unix.PollFd{{Fd: int32(fd)}}
		for ctx.Err() == nil {
			n, err := unix.Poll(fds, 1000)
			if err != nil && err != unix.EINTR {
				return
			}
			if n > 0 && fds[0].Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0 {
				return
			}
		}
	}()
	return ctx, cancel
}
