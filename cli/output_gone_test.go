package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// A pipe whose reader closes ends the context with errOutputGone, though the work closed
// its own descriptor of the pipe first (the watch keeps a duplicate); a regular file is
// not watched.
func TestUntilOutputGone(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	ctx, stop := untilOutputGone(context.Background(), file, w)
	defer stop()
	w.Close()
	if ctx.Err() != nil {
		t.Fatalf("ended before the reader closed: %v", context.Cause(ctx))
	}
	r.Close()
	testutil.WaitFor(t, "the context to end", func() bool { return ctx.Err() != nil })
	if cause := context.Cause(ctx); !errors.Is(cause, errOutputGone) {
		t.Fatalf("cause %v, want errOutputGone", cause)
	}

	ctx, stop = untilOutputGone(context.Background(), file)
	stop()
	if cause := context.Cause(ctx); cause != context.Canceled {
		t.Fatalf("a file's context: cause %v, want only the stop's", cause)
	}
}
