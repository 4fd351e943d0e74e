package logfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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

// TestWriterBoundGivesUp: behind a write blocked on a pipe nobody reads, Bound makes the
// Writer give up once the write stayed blocked past it: the blocked write's lines not yet
// taken and
// every later Write's are counted dropped at once, their error says why, OnDrop hears of
// it, and no later Write waits.
func TestWriterBoundGivesUp(t *testing.T) {
	r, _, fd := blockingPipe(t)
	w := NewWriter(fd, "pipe")
	var heard atomic.Uint64
	w.OnDrop = func(total uint64, _ error) { heard.Store(total) }
	_, blocked := writeBlocked(t, w, bytes.Repeat([]byte("a line\n"), 20<<10)) // 140 KiB, 20480 lines
	second := make(chan struct{})
	go func() { w.Write([]byte("waits behind it\n")); close(second) }()
	w.Bound(time.Now(), 50*time.Millisecond)
	<-w.GaveUp()
	<-second // it gave up waiting
	w.Write([]byte("one\ntwo\n"))
	// Its first piece (writePiece) fits in the pipe's 64 KiB and was taken: not dropped.
	inPipe := uint64(writePiece / len("a line\n"))
	if want := uint64(20<<10) - inPipe + 3; w.Dropped() != want || heard.Load() != want {
		t.Errorf("Dropped %d, OnDrop heard %d; want %d", w.Dropped(), heard.Load(), want)
	}
	if err := w.LastError(); !errors.Is(err, ErrGaveUp) || !strings.HasPrefix(err.Error(), "write pipe: ") {
		t.Errorf("LastError = %v; want write pipe: ... ErrGaveUp", err)
	}
	go func() { _, _ = io.Copy(io.Discard, r) }() // the blocked write's thread, let go before its pipe is closed
	<-blocked
}

// TestWriterBoundSlowReader: a bound past, a reader that reads slowly but reads still gets
// every write whole: each is given the stall, not the deadline that passed.
func TestWriterBoundSlowReader(t *testing.T) {
	r, pw, fd := blockingPipe(t)
	w := NewWriter(fd, "pipe")
	w.Bound(time.Now(), 5*time.Second)
	read := slowReader(r, 16, 20*time.Millisecond) // about 800 KB/s
	line := append(bytes.Repeat([]byte{'s'}, 64<<10-1), '\n')
	for range 16 {
		w.Write(line)
	}
	pw.Close() // the reader's EOF, if it got less
	if n := <-read; n != 16 || w.Dropped() != 0 {
		t.Errorf("the reader got %d lines, %d dropped; want 16, 0", n, w.Dropped())
	}
}

// TestWriterBoundSlowReaderOneBatch: many lines in one Write (a JSON log's batch of a
// program's output), taken by a reader slower than the bound's stall allows for the whole
// batch but steadily, arrive whole, none dropped: the stall is measured on each piece.
func TestWriterBoundSlowReaderOneBatch(t *testing.T) {
	r, pw, fd := blockingPipe(t)
	w := NewWriter(fd, "pipe")
	w.Bound(time.Now(), 500*time.Millisecond)
	const lines = 64
	read := slowReader(r, lines, 5*time.Millisecond) // about 3 MB/s: the batch takes over a second
	line := append(bytes.Repeat([]byte{'s'}, 64<<10-1), '\n')
	w.Write(bytes.Repeat(line, lines))
	pw.Close() // the reader's EOF, if it got less
	if n := <-read; n != lines || w.Dropped() != 0 {
		t.Errorf("the reader got %d lines, %d dropped; want %d, 0", n, w.Dropped(), lines)
	}
}

// slowReader reads r 16 KiB at a time, pausing between reads, until it has read want lines
// or r ends, and then sends how many lines it read.
func slowReader(r io.Reader, want int, pause time.Duration) <-chan int {
	read := make(chan int, 1)
	go func() {
		n := 0
		buf := make([]byte, 16<<10)
		for {
			m, err := r.Read(buf)
			n += bytes.Count(buf[:m], []byte{'\n'})
			if err != nil || n == want {
				read <- n
				return
			}
			time.Sleep(pause) // a slow reader
		}
	}()
	return read
}
