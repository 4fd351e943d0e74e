package logfile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// noticeRE matches DefaultNotice's line, hclog's text format at level WARN.
var noticeRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d{4}) \[WARN\]  log: dropped (\d+) lines?: (.*)\n$`)

// checkNotice fails the test unless line is DefaultNotice's for dropped lines and a cause
// ending in cause.
func checkNotice(t *testing.T, line string, dropped int, cause string) {
	t.Helper()
	m := noticeRE.FindStringSubmatch(line)
	if m == nil || m[2] != fmt.Sprint(dropped) || !strings.HasSuffix(m[3], cause) {
		t.Errorf("notice %q, want one for %d dropped lines ending %q", line, dropped, cause)
	}
}

// TestWriterConcurrentLines: lines written by many goroutines are each whole, and a newline
// is added to a Write that lacks one.
func TestWriterConcurrentLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := NewFileWriter(f)
	const goroutines, each = 8, 300
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				line := fmt.Sprintf("g=%d i=%d %s", g, i, strings.Repeat("x", i%50))
				if i%2 == 0 {
					line += "\n"
				}
				if n, err := w.Write([]byte(line)); n != len(line) || err != nil {
					t.Errorf("Write = %d, %v; want %d, nil", n, err, len(line))
				}
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(readFile(t, path), "\n"), "\n")
	seen := map[string]bool{}
	re := regexp.MustCompile(`^g=(\d) i=(\d+) x*$`)
	for _, l := range lines {
		m := re.FindStringSubmatch(l)
		if m == nil || seen[m[1]+" "+m[2]] {
			t.Fatalf("line %q is broken or repeated", l)
		}
		seen[m[1]+" "+m[2]] = true
	}
	if len(seen) != goroutines*each || w.Dropped() != 0 {
		t.Errorf("%d lines, %d dropped; want %d, 0", len(seen), w.Dropped(), goroutines*each)
	}
}

// TestFileWriterClosed: writing to a closed file drops the line with os.ErrClosed.
func TestFileWriterClosed(t *testing.T) {
	f, err := Open(filepath.Join(t.TempDir(), "app.log"))
	if err != nil {
		t.Fatal(err)
	}
	w := NewFileWriter(f)
	f.Close()
	if n, err := w.Write([]byte("x\n")); n != 2 || err != nil {
		t.Errorf("Write = %d, %v; want 2, nil", n, err)
	}
	if w.Dropped() != 1 || !errors.Is(w.LastError(), os.ErrClosed) {
		t.Errorf("Dropped %d, LastError %v; want 1, os.ErrClosed", w.Dropped(), w.LastError())
	}
}

// TestWriterPipeFull: lines that cannot be written (a full non-blocking pipe: EAGAIN) are
// counted, reported to OnDrop with rising totals, and announced by the custom Notice before
// the next line that gets through; Write never fails.
func TestWriterPipeFull(t *testing.T) {
	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer pw.Close()
	fd := int(pw.Fd())
	if err := unix.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	w := NewWriter(fd, "pipe")
	w.Notice = func(dropped uint64, cause error) []byte {
		b, _ := json.Marshal(map[string]any{"@level": "warn", "@message": "dropped", "dropped": dropped, "error": cause.Error()})
		return b // no newline: the Writer adds it
	}
	var mu sync.Mutex
	var totals []uint64
	w.OnDrop = func(total uint64, err error) {
		mu.Lock()
		defer mu.Unlock()
		totals = append(totals, total)
		if !errors.Is(err, unix.EAGAIN) {
			t.Errorf("OnDrop error %v, want EAGAIN", err)
		}
	}
	line := []byte(strings.Repeat("y", 99) + "\n")
	written := 0
	for w.Dropped() == 0 {
		w.Write(line)
		written++
		if written > 1<<20 {
			t.Fatal("the pipe never filled")
		}
	}
	w.Write([]byte("two\nlines\n")) // a Write of two lines drops two
	w.Write(line)
	if got := w.Dropped(); got != 4 {
		t.Fatalf("Dropped = %d, want 4", got)
	}
	if want := []uint64{1, 3, 4}; fmt.Sprint(totals) != fmt.Sprint(want) {
		t.Errorf("OnDrop totals %v, want %v", totals, want)
	}
	if err := w.LastError(); !errors.Is(err, unix.EAGAIN) || err.Error() != "write pipe: "+unix.EAGAIN.Error() {
		t.Errorf("LastError = %v, want write pipe: EAGAIN", err)
	}
	// Empty the pipe, then write once more: the notice, then the line.
	br := bufio.NewReader(r)
	body := make([]byte, (written-1)*len(line))
	if _, err := io.ReadFull(br, body); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, bytes.Repeat(line, written-1)) {
		t.Fatalf("pipe did not get the %d lines written before the drops whole", written-1)
	}
	w.Write([]byte("last"))
	var rest [2]string
	for i := range rest {
		if rest[i], err = br.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	if rest[1] != "last\n" {
		t.Fatalf("after the drops, the pipe got %q; want a notice and the line", rest)
	}
	var notice struct {
		Dropped uint64
		Error   string
	}
	if err := json.Unmarshal([]byte(rest[0]), &notice); err != nil || notice.Dropped != w.Dropped() || !strings.Contains(notice.Error, "write pipe: ") {
		t.Errorf("notice %q: %v; want JSON with the dropped count and the cause", rest[0], err)
	}
}

// TestWriterFileSizeLimit: with RLIMIT_FSIZE reached (and SIGXFSZ ignored), a write that
// crosses the limit is short and one at the limit fails with EFBIG; either way the file is
// left exactly as before, the lines are counted, and the next write after the limit is
// raised puts the notice then the line, each whole. It runs in a child process, since the
// limit and the signal disposition are the process's.
func TestWriterFileSizeLimit(t *testing.T) {
	if !runSelf(t, nil) {
		return
	}
	signal.Ignore(syscall.SIGXFSZ)
	path := filepath.Join(t.TempDir(), "app.log")
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := NewFileWriter(f)
	var old strings.Builder
	for i := range 40 {
		fmt.Fprintf(&old, "line %03d %15s\n", i, "x") // 25 bytes
	}
	if w.Write([]byte(old.String())); w.Dropped() != 0 || old.Len() != 1000 {
		t.Fatalf("writing %d bytes: %v", old.Len(), w.LastError())
	}
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	setLimit := func(l unix.Rlimit) {
		t.Helper()
		if err := unix.Setrlimit(unix.RLIMIT_FSIZE, &l); err != nil {
			t.Fatal(err)
		}
	}
	defer setLimit(lim)
	short, full := lim, lim // Cur is an int64 on some systems, a uint64 on others
	short.Cur, full.Cur = 1010, 1000
	check := func(dropped uint64, cause error) {
		t.Helper()
		if w.Dropped() != dropped || !errors.Is(w.LastError(), cause) {
			t.Errorf("Dropped %d, LastError %v; want %d, %v", w.Dropped(), w.LastError(), dropped, cause)
		}
		if got := readFile(t, path); got != old.String() {
			t.Fatalf("file changed to %d bytes, ending %q", len(got), got[max(0, len(got)-60):])
		}
	}
	line := []byte("a line of thirty bytes, yes..\n")
	setLimit(short) // 10 bytes left: each write is short
	for range 10 {
		w.Write(line)
	}
	check(10, io.ErrShortWrite)
	setLimit(full) // no byte left: EFBIG
	for range 9 {
		w.Write(line)
	}
	w.Write([]byte("two\nlines"))
	check(21, unix.EFBIG)
	setLimit(lim)
	w.Write([]byte("after"))
	got := readFile(t, path)
	rest, ok := strings.CutPrefix(got, old.String())
	if !ok {
		t.Fatalf("old lines lost: %q", got)
	}
	parts := strings.SplitAfter(rest, "\n")
	if len(parts) != 3 || parts[1] != "after\n" || parts[2] != "" {
		t.Fatalf("after the limit was raised, got %q; want a notice and the line", rest)
	}
	checkNotice(t, parts[0], 21, "write "+path+": "+unix.EFBIG.Error())
}
