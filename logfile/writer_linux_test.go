package logfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestWriterFullFileSystem fills a 64 KiB tmpfs to the last byte, in a child process in a
// private mount namespace (so the mount is never seen outside it and goes with it):
//
//   - a.log is empty: each write fails with ENOSPC;
//   - b.log holds 4090 bytes, so its page has 6 bytes free: each write is short (6 bytes),
//     which without the ftruncate would leave a fragment glued to the next line.
//
// 100 lines to each are all dropped, counted and reported, and neither file changes by a
// byte. Once the space is freed, one more line to each gives the notice, then the line.
func TestWriterFullFileSystem(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	if !runSelf(t, &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}) {
		return
	}
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("mount tmpfs on %s: %v", dir, err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })

	pathA, pathB := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	oldB := strings.Repeat("old line\n", 454) + "old!" // 4090 bytes, one line unfinished
	writeFile(t, pathB, oldB, 0o640)
	fa, err := Open(pathA)
	if err != nil {
		t.Fatal(err)
	}
	defer fa.Close()
	fb, err := Open(pathB)
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	wa := NewFileWriter(fa)
	wb := NewWriter(int(fb.Fd()), pathB)
	var calls, last atomic.Uint64
	wa.OnDrop = func(total uint64, err error) {
		calls.Add(1)
		last.Store(total)
	}

	fill(t, filepath.Join(dir, "filler"))
	for i := range 100 {
		line := fmt.Sprintf("2026-11-26T00:56:19.807Z [INFO]  tick: count=%03d\n", i)
		if n, err := wa.Write([]byte(line)); n != len(line) || err != nil {
			t.Errorf("Write = %d, %v; want %d, nil", n, err, len(line))
		}
		wb.Write([]byte(line))
	}
	if wa.Dropped() != 100 || !errors.Is(wa.LastError(), unix.ENOSPC) {
		t.Errorf("a.log: Dropped %d, LastError %v; want 100, ENOSPC", wa.Dropped(), wa.LastError())
	}
	if calls.Load() != 100 || last.Load() != 100 {
		t.Errorf("OnDrop called %d times, last total %d; want 100, 100", calls.Load(), last.Load())
	}
	if wb.Dropped() != 100 || !errors.Is(wb.LastError(), io.ErrShortWrite) {
		t.Errorf("b.log: Dropped %d, LastError %v; want 100, short write", wb.Dropped(), wb.LastError())
	}
	if got := readFile(t, pathA); got != "" {
		t.Errorf("a.log got %q while full", got)
	}
	if got := readFile(t, pathB); got != oldB {
		t.Fatalf("b.log changed while full: it ends %q", got[max(0, len(got)-40):])
	}

	if err := os.Remove(filepath.Join(dir, "filler")); err != nil {
		t.Fatal(err)
	}
	wa.Write([]byte("2026-11-26T00:56:20.000Z [INFO]  tick: count=100\n"))
	wb.Write([]byte("2026-11-26T00:56:20.000Z [INFO]  tick: count=100\n"))

	lines := strings.SplitAfter(readFile(t, pathA), "\n")
	if len(lines) != 3 || lines[1] != "2026-11-26T00:56:20.000Z [INFO]  tick: count=100\n" || lines[2] != "" {
		t.Fatalf("a.log holds %q; want the notice and the line", lines)
	}
	checkNotice(t, lines[0], 100, "write "+pathA+": no space left on device")
	rest, ok := strings.CutPrefix(readFile(t, pathB), oldB)
	if !ok {
		t.Fatal("b.log lost its old content")
	}
	// The old unfinished line "old!" gets the notice after it: that is the daemon's own
	// doing, not a glued fragment.
	lines = strings.SplitAfter(rest, "\n")
	if len(lines) != 3 || lines[1] != "2026-11-26T00:56:20.000Z [INFO]  tick: count=100\n" {
		t.Fatalf("b.log got %q; want the notice and the line", rest)
	}
	checkNotice(t, lines[0], 100, "write "+pathB+": short write: no space left on device") // the rest of a short write says why
}

// fill writes path until the file system has not one byte left.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, size := range []int{4096, 1} {
		chunk := bytes.Repeat([]byte{'f'}, size)
		for {
			if _, err := f.Write(chunk); err != nil {
				if !errors.Is(err, unix.ENOSPC) {
					t.Fatal(err)
				}
				break
			}
		}
	}
}

// TestWriterPartialLineNotCut: a write to a non-blocking pipe of more than it holds is
// short, and a pipe cannot be truncated; the fragment stays, so the notice must begin with
// a newline to end the fragment's line instead of being glued to it.
func TestWriterPartialLineNotCut(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	w := NewWriter(p[1], "pipe")
	w.Write(append(bytes.Repeat([]byte{'z'}, 1<<20), '\n'))
	if w.Dropped() != 1 || !errors.Is(w.LastError(), io.ErrShortWrite) {
		t.Fatalf("Dropped %d, LastError %v; want 1, a short write", w.Dropped(), w.LastError())
	}
	fragment := drainPipe(t, p[0])
	if len(fragment) == 0 || strings.Trim(fragment, "z") != "" {
		t.Fatalf("the pipe got %d bytes, not a fragment of the line", len(fragment))
	}
	w.Write([]byte("next"))
	got := drainPipe(t, p[0])
	lines := strings.SplitAfter(got, "\n")
	if len(lines) != 4 || lines[0] != "\n" || lines[2] != "next\n" || lines[3] != "" {
		t.Fatalf("after the fragment the pipe got %q; want a newline, the notice, the line", got)
	}
	checkNotice(t, lines[1], 1, "invalid argument")
}

// drainPipe reads what the non-blocking pipe fd holds.
func drainPipe(t *testing.T, fd int) string {
	t.Helper()
	var b strings.Builder
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(fd, buf)
		if n > 0 {
			b.Write(buf[:n])
		}
		if err == unix.EAGAIN {
			return b.String()
		}
		if err != nil || n == 0 {
			t.Fatalf("read pipe: %d, %v", n, err)
		}
	}
}
