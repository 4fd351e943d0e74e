package cli

import (
	"context"
	"errors"
	"io"
	"syscall"

	"github.com/daemonkit/daemonkit/logfile"
)

// errOutputGone is the cause of a foreground start's stop when what its output was piped
// into has ended: the supervisor stops the program as a stop does (its stop signal).
var errOutputGone = errors.New("its output's reader is gone (what it was piped into ended)")

// outputGoneStops says whether a foreground start is to stop once a line of its program
// fails to write because the pipe its stderr goes into has no reader left ('start -- prog
// 2>&1 | grep -m1 x', grep having its line): as a command of a pipeline ends when the one
// it writes into does (SIGPIPE), rather than run on, its lines dropped, the pipeline never
// ending. Only one typed at a shell: with a controlling terminal (atTerminal), hangupStops
// (neither under nohup(1), a unit nor as PID 1) and logging to its stderr (no --log). A
// start without a terminal (runit, s6, supervisord, cron, a container's entrypoint) runs
// on, its lines dropped and counted, as does a start under nohup, which asks to outlive
// the session its pipe's reader may belong to: a log collector that reopens its FIFO must
// not stop it. (An inherited SIGPIPE ignored cannot say so: Go's runtime catches SIGPIPE
// whatever the caller left it.)
func outputGoneStops(hangupStops bool, log string) bool {
	return hangupStops && log == "" && atTerminal()
}

// stopsOnBrokenPipe returns a writer of the program's lines to out that calls stop with
// errOutputGone once a line fails to write with EPIPE: its reader is gone. A pipe nobody
// wrote to is never looked at, so a reader that ends, or reopens, while the program says
// nothing stops nothing, as a command of a pipeline ends only when it writes.
func stopsOnBrokenPipe(out *logfile.Writer, stop context.CancelCauseFunc) io.Writer {
	return brokenPipeStops{out, stop}
}

type brokenPipeStops struct {
	out  *logfile.Writer
	stop context.CancelCauseFunc
}

func (b brokenPipeStops) Write(p []byte) (int, error) {
	before := b.out.Dropped()
	n, err := b.out.Write(p) // a line that fails is dropped and counted, not returned
	if b.out.Dropped() != before && errors.Is(b.out.LastError(), syscall.EPIPE) {
		b.stop(errOutputGone)
	}
	return n, err
}
