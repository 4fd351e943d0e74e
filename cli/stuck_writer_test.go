package cli

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// A write blocked for good (a pipe nobody reads) holds its caller until the interrupt,
// then only until writeBlockedAfter from its start; the next write, the first still
// stuck, is given up at once. Before the interrupt writes go through as they are.
func TestWritesUntilInterrupted(t *testing.T) {
	defer func(d time.Duration) { writeBlockedAfter = d }(writeBlockedAfter)
	writeBlockedAfter = 50 * time.Millisecond
	var buf slowWriter
	ctx, cancel := context.WithCancel(context.Background())
	w := writesUntilInterrupted(ctx, &buf)
	if n, err := w.Write([]byte("a line\n")); n != 7 || err != nil {
		t.Fatalf("write: %d, %v", n, err)
	}
	if got := buf.String(); got != "a line\n" {
		t.Fatalf("wrote %q", got)
	}

	stuck := &stuckWriter{entered: make(chan struct{}), release: make(chan struct{})}
	defer close(stuck.release)
	w = writesUntilInterrupted(ctx, stuck)
	ended := make(chan error, 1)
	go func() {
		_, err := w.Write([]byte("never read\n"))
		ended <- err
	}()
	<-stuck.entered
	cancel()
	if err := <-ended; !errors.Is(err, errWriteGivenUp) {
		t.Fatalf("the stuck write: %v, want errWriteGivenUp", err)
	}
	if _, err := w.Write([]byte("next\n")); !errors.Is(err, errWriteGivenUp) {
		t.Fatalf("the next write: %v, want errWriteGivenUp", err)
	}
}

// Once a write given up has ended (the pipe drained), the next goes through, after the
// interrupt as before it: its caller's line is not dropped for a race between the write
// that ended and the interrupt, both long done. That next write, after the interrupt, is
// allowed testutil.Deadline: it is not stuck, but its writer runs in a goroutine that a
// loaded machine may not run within the 20ms the stuck write is given.
func TestWritesUntilInterruptedAfterDrain(t *testing.T) {
	defer func(d time.Duration) { writeBlockedAfter = d }(writeBlockedAfter)
	for i := 0; i < 30; i++ {
		writeBlockedAfter = 20 * time.Millisecond
		ctx, cancel := context.WithCancel(context.Background())
		stuck := &stuckWriter{entered: make(chan struct{}), release: make(chan struct{})}
		w := writesUntilInterrupted(ctx, stuck).(*untilInterrupted)
		ended := make(chan error, 1)
		go func() {
			_, err := w.Write([]byte("stuck\n"))
			ended <- err
		}()
		<-stuck.entered
		cancel()
		if err := <-ended; !errors.Is(err, errWriteGivenUp) {
			t.Fatalf("the stuck write: %v, want errWriteGivenUp", err)
		}
		close(stuck.release)
		<-w.pending // the write given up has ended
		writeBlockedAfter = testutil.Deadline
		if n, err := w.Write([]byte("next\n")); n != 5 || err != nil {
			t.Fatalf("round %d: the write after the drain: %d, %v; want it written", i, n, err)
		}
	}
}

// A command whose stderr write was given up after an interrupt (stop --all's reports)
// says its last error (sayInterrupted) through the same writer: given up at once, behind
// the write still stuck, rather than after another writeBlockedAfter, which made the
// command end two seconds after the interrupt rather than one.
func TestSayInterruptedAfterGivenUp(t *testing.T) {
	defer func(d time.Duration) { writeBlockedAfter = d }(writeBlockedAfter)
	writeBlockedAfter = 500 * time.Millisecond
	stuck := &stuckWriter{entered: make(chan struct{}), release: make(chan struct{})}
	defer close(stuck.release)
	app := &App{Config: Config{Name: "daemonkit", Stderr: stuck}}
	ctx, cancel := context.WithCancelCause(context.Background())
	ended := make(chan error, 1)
	go func() {
		_, err := app.stderrUntilInterrupted(ctx).Write([]byte("a report\n"))
		ended <- err
	}()
	<-stuck.entered
	cancel(interruption{syscall.SIGTERM})
	if err := <-ended; !errors.Is(err, errWriteGivenUp) {
		t.Fatalf("the stuck write: %v, want errWriteGivenUp", err)
	}
	began := time.Now()
	err := sayInterrupted(app, ctx, errors.New("interrupted by SIGTERM"))
	if took := time.Since(began); took >= writeBlockedAfter/2 {
		t.Fatalf("sayInterrupted took %v behind the write given up, want it at once", took)
	}
	if err == nil {
		t.Fatal("sayInterrupted: nil, want the exit code")
	}
}
