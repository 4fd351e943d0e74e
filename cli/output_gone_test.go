package cli

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/daemonkit/daemonkit/logfile"
)

// A line that fails to write because the pipe's reader is gone (EPIPE) ends the context
// with errOutputGone; nothing does before a line is written, though the reader is gone
// already: a pipe is looked at only through what is written to it.
func TestStopsOnBrokenPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, stop := context.WithCancelCause(context.Background())
	defer stop(nil)
	out := stopsOnBrokenPipe(logfile.NewFileWriter(w), stop)
	if _, err := out.Write([]byte("read\n")); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatalf("stopped by a line written: %v", context.Cause(ctx))
	}
	r.Close()
	if ctx.Err() != nil {
		t.Fatalf("stopped with nothing written since the reader left: %v", context.Cause(ctx))
	}
	if _, err := out.Write([]byte("nobody reads this\n")); err != nil {
		t.Fatal(err)
	}
	if cause := context.Cause(ctx); !errors.Is(cause, errOutputGone) {
		t.Fatalf("cause %v, want errOutputGone", cause)
	}
}

// A line dropped for another cause (a descriptor closed: EBADF) stops nothing.
func TestStopsOnBrokenPipeOnlyForEPIPE(t *testing.T) {
	_, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	ctx, stop := context.WithCancelCause(context.Background())
	defer stop(nil)
	out := stopsOnBrokenPipe(logfile.NewFileWriter(w), stop)
	_, _ = out.Write([]byte("dropped\n"))
	if ctx.Err() != nil {
		t.Fatalf("stopped by %v, want only EPIPE to stop", context.Cause(ctx))
	}
}
