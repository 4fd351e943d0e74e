package cli

import (
	"context"
	"errors"
	"testing"
	"time"
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
// that ended and the interrupt, both long done.
func TestWritesUntilInterruptedAfterDrain(t *testing.T) {
	defer func(d time.Duration) { writeBlockedAfter = d }(writeBlockedAfter)
	writeBlockedAfter = 20 * time.Millisecond
	for i := 0; i < 30; i++ {
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
		if n, err := w.Write([]byte("next\n")); n != 5 || err != nil {
			t.Fatalf("round %d: the write after the drain: %d, %v; want it written", i, n, err)
		}
	}
}
