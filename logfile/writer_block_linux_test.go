package logfile

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// blockingPipe is a pipe whose write end w, descriptor fd, blocks when full; the test's
// end closes both ends.
func blockingPipe(t *testing.T) (r, w *os.File, fd int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	r, w = os.NewFile(uintptr(p[0]), "pipe"), os.NewFile(uintptr(p[1]), "pipe")
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w, p[1]
}

// writeBlocked starts Write(p) on a thread of its own and returns once its write(2) is
// blocked on the full pipe: its thread's id, and a channel closed once Write returns.
func writeBlocked(t *testing.T, w *Writer, p []byte) (tid int, returned <-chan struct{}) {
	t.Helper()
	done, tids := make(chan struct{}), make(chan int, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tids <- unix.Gettid()
		w.Write(p)
		close(done)
	}()
	tid = <-tids
	testutil.WaitFor(t, "the write to block on the full pipe", func() bool {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/wchan", tid))
		return strings.Contains(string(b), "pipe_write")
	})
	return tid, done
}

// TestWriterPipeWriteInterrupted: a blocking write to a pipe that a signal interrupts once
// part of it is taken (the Go runtime preempts a goroutine so) returns short; the rest is
// written after it, and the line arrives whole: nothing is counted dropped, and no notice
// follows. (It was counted dropped, and a notice followed, though the reader got it all.)
func TestWriterPipeWriteInterrupted(t *testing.T) {
	r, _, fd := blockingPipe(t)
	w := NewWriter(fd, "pipe")
	line := append(bytes.Repeat([]byte{'z'}, 256<<10), '\n') // four times what the pipe holds
	tid, returned := writeBlocked(t, w, line)
	if err := unix.Tgkill(os.Getpid(), tid, unix.SIGURG); err != nil { // the runtime's own: handled, restarted
		t.Fatal(err)
	}
	w.Write(nil) // nothing: returns at once
	got := make(chan []byte)
	go func() {
		b := make([]byte, len(line))
		_, _ = io.ReadFull(r, b)
		got <- b
	}()
	if b := <-got; !bytes.Equal(b, line) {
		t.Fatalf("the reader got %d bytes that are not the line", len(b))
	}
	<-returned
	if w.Dropped() != 0 || w.LastError() != nil {
		t.Errorf("Dropped %d, LastError %v; want 0, nil", w.Dropped(), w.LastError())
	}
	w.Write([]byte("next"))
	b := make([]byte, 5)
	if _, err := io.ReadFull(r, b); err != nil || string(b) != "next\n" {
		t.Errorf("after the line the pipe got %q, %v; want the next line alone", b, err)
	}
}
