package logfile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// idleWatch counts the times Follow found nothing new (testHookIdle).
type idleWatch struct {
	mu      sync.Mutex
	n       int
	changed chan struct{}
}

func (iw *idleWatch) hook() {
	iw.mu.Lock()
	defer iw.mu.Unlock()
	iw.n++
	close(iw.changed)
	iw.changed = make(chan struct{})
}

// waitMore waits until Follow has been idle k more times than when it was called: with
// k = 2, it has looked at the file and the path at least once entirely after the call.
func (iw *idleWatch) waitMore(k int) error {
	iw.mu.Lock()
	target := iw.n + k
	iw.mu.Unlock()
	return iw.waitTotal(target)
}

// waitTotal waits until Follow has been idle n times in all since it started: waitTotal(1)
// waits for its first look, which may come before the call (waitMore(1) would then wait
// for a second, which a Follow that polls once an hour may never take).
func (iw *idleWatch) waitTotal(n int) error {
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		iw.mu.Lock()
		ok, ch := iw.n >= n, iw.changed
		iw.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			return fmt.Errorf("follower not idle %d times in all after %v", n, waitLimit)
		}
	}
}

// startFollow runs Follow(path, n) into a buffer. It is cancelled at the end of the test,
// which then fails unless Follow returned nil within waitLimit.
func startFollow(t *testing.T, path string, n int) (*syncBuf, *idleWatch) {
	t.Helper()
	return startFollowWith(t, path, FollowOptions{Lines: Lines{N: n}})
}

// startFollowWith is startFollow with FollowWith's options.
func startFollowWith(t *testing.T, path string, o FollowOptions) (*syncBuf, *idleWatch) {
	t.Helper()
	out, idle := newSyncBuf(), &idleWatch{changed: make(chan struct{})}
	testHookIdle = idle.hook
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- FollowWith(ctx, path, out, o) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Follow: %v", err)
			}
			testHookIdle = nil
		case <-time.After(waitLimit):
			t.Errorf("Follow still running %v after cancel", waitLimit)
		}
	})
	return out, idle
}

// numbered returns "prefix i\n" for i from first to last.
func numbered(prefix string, first, last int) string {
	var b strings.Builder
	for i := first; i <= last; i++ {
		fmt.Fprintf(&b, "%s %d\n", prefix, i)
	}
	return b.String()
}

// TestFollowRotations: a writer appends numbered lines through a descriptor it redirects
// after each of two rotations, as a daemon does, while Follow prints the log. Each time:
// the log is renamed away (the follower keeps reading it while nothing is at the path),
// an empty file appears at the path while the daemon still writes to the old one (the
// follower must stay on the old one), then the daemon reopens and writes to the new one
// (the follower must finish the old one, then switch). Every line appears once, in order,
// after the last 5 lines the log held before; a line the old file left unfinished is
// ended before the new file's first line; lines that land in the old file after the new
// one has content (in flight during the reopen) are read before the new file.
func TestFollowRotations(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	writeFile(t, path, numbered("old", 1, 20), 0o640)
	fd := openFD(t, path)
	// At the second rotation, lines that were in flight when the daemon reopened land in
	// the old file after the new one has content: the follower must still read them.
	late, lateDone := make(chan []byte, 1), make(chan struct{})
	var oldFD int
	testHookRotated = func() {
		select {
		case b := <-late:
			unix.Write(oldFD, b)
			close(lateDone)
		default:
		}
	}
	t.Cleanup(func() { testHookRotated = nil }) // runs after Follow has returned
	out, idle := startFollow(t, path, 5)
	if err := out.waitFor("old 20\n"); err != nil {
		t.Fatal(err)
	}

	const total = 900
	written := make(chan error, 1)
	go func() {
		w := NewWriter(fd, path)
		put := func(first, last int) {
			for i := first; i <= last; i++ {
				w.Write(fmt.Appendf(nil, "line %d", i))
			}
		}
		put(1, 299)
		rotations := []int{300, 600}
		for rot, i := range rotations {
			// Rotate while the follower is behind.
			if err := out.waitFor(fmt.Sprintf("line %d\n", i-150)); err != nil {
				written <- err
				return
			}
			if err := os.Rename(path, fmt.Sprintf("%s.%d", path, rot+1)); err != nil {
				written <- err
				return
			}
			err := idle.waitMore(2)
			put(i, i+9) // to the renamed file, nothing at the path
			if err == nil {
				var nf *os.File
				if nf, err = Open(path); err == nil {
					nf.Close()
					err = idle.waitMore(2)
				}
			}
			put(i+10, i+19) // to the renamed file, an empty one at the path
			if rot == 0 {
				unix.Write(fd, []byte("unfinished")) // the follower must end this line
			}
			if rot == 1 && err == nil {
				oldFD, err = unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 3)
			}
			if err == nil {
				err = Redirect(path, fd) // the daemon reopens
			}
			if err != nil {
				written <- err
				return
			}
			first := i + 20
			if rot == 1 {
				late <- []byte(numbered("line", first, first+4))
				first += 5
			}
			end := total
			if rot+1 < len(rotations) {
				end = rotations[rot+1] - 1
			}
			put(first, end)
		}
		select {
		case <-lateDone:
			unix.Close(oldFD)
		case <-time.After(waitLimit):
			written <- errors.New("the follower never saw the second new file")
			return
		}
		if w.Dropped() != 0 {
			written <- fmt.Errorf("writer dropped %d lines: %v", w.Dropped(), w.LastError())
			return
		}
		written <- out.waitFor(fmt.Sprintf("line %d\n", total))
	}()
	select {
	case err := <-written:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * waitLimit):
		t.Fatal("writer still running")
	}
	want := numbered("old", 16, 20) + numbered("line", 1, 319) + "unfinished\n" + numbered("line", 320, total)
	if got := out.String(); got != want {
		t.Errorf("follower printed (%d bytes):\n%s\nwant (%d bytes) old 16-20 and line 1-%d once each",
			len(got), firstDifference(got, want), len(want), total)
	}
}

// firstDifference shows where got starts to differ from want.
func firstDifference(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	start := max(0, strings.LastIndexByte(got[:i], '\n')-40)
	return fmt.Sprintf("...%s<<< differs here, after byte %d", got[start:min(len(got), i+80)], i)
}

// TestFollowTruncated: a log truncated in place (copytruncate) is read again from its
// start; without that, the follower would wait past the new end for ever.
func TestFollowTruncated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	writeFile(t, path, numbered("a", 1, 50), 0o640)
	out, _ := startFollow(t, path, -1)
	if err := out.waitFor("a 50\n"); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	appendTo(t, path, numbered("b", 1, 5))
	if err := out.waitFor("b 5\n"); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), numbered("a", 1, 50)+numbered("b", 1, 5); got != want {
		t.Errorf("follower printed %q, want %q", got, want)
	}
}

// TestFollowAppears: a missing log is waited for, and printed from its start when it
// appears, however many lines it holds by then; an unfinished last line is printed too.
func TestFollowAppears(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "app.log")
	out, idle := startFollow(t, path, 5)
	if err := idle.waitMore(2); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(numbered("x", 1, 20) + "unfinished"); err != nil {
		t.Fatal(err)
	}
	if err := out.waitFor("unfinished"); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), numbered("x", 1, 20)+"unfinished"; got != want {
		t.Errorf("follower printed %q, want %q", got, want)
	}
}

// TestFollowThroughNonFile: once Follow has begun, something other than a regular file
// put at the path (a directory, while the log was moved away and a reopen failed) is no
// rotation and no error: Follow reads on in the file it had, and, once a log is back at
// the path and has content, goes on there, as tail -F does.
func TestFollowThroughNonFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	writeFile(t, path, numbered("a", 1, 3), 0o640)
	out, idle := startFollow(t, path, 5)
	if err := out.waitFor("a 3\n"); err != nil {
		t.Fatal(err)
	}
	old, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := idle.waitMore(2); err != nil {
		t.Fatal(err)
	}
	if _, err := old.WriteString(numbered("a", 4, 5)); err != nil { // the daemon writes on
		t.Fatal(err)
	}
	if err := out.waitFor("a 5\n"); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, numbered("b", 1, 2), 0o640) // a reopen that worked
	if err := out.waitFor("b 2\n"); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), numbered("a", 1, 5)+numbered("b", 1, 2); got != want {
		t.Errorf("follower printed %q, want %q", got, want)
	}
}

// TestFollowErrors: a directory at the path is an error naming it; so is a failing w.
func TestFollowErrors(t *testing.T) {
	dir := t.TempDir()
	err := Follow(context.Background(), dir, 5, new(strings.Builder))
	if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "follow log "+dir+": ") {
		t.Errorf("Follow of a directory: %v, want ErrNotRegular naming it", err)
	}
	path := filepath.Join(dir, "app.log")
	writeFile(t, path, "a line\n", 0o640)
	boom := errors.New("boom")
	if err := Follow(context.Background(), path, 5, failWriter{boom}); err != boom {
		t.Errorf("Follow into a failing writer: %v, want its error", err)
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

// TestLastLines: where the last n lines begin, with and without a final newline, across
// the 8 KiB read-back chunks.
func TestLastLines(t *testing.T) {
	long := strings.Repeat("y", 9000)
	cases := []struct {
		content string
		n       int
		want    string
	}{
		{"a\nb\nc\n", 2, "b\nc\n"},
		{"a\nb\nc", 2, "b\nc"},
		{"a\nb\nc\n", 3, "a\nb\nc\n"},
		{"a\nb\nc\n", 10, "a\nb\nc\n"},
		{"a\nb\nc\n", 0, ""},
		{"a\nb\nc\n", -1, "a\nb\nc\n"},
		{"", 3, ""},
		{"\n\n", 1, "\n"},
		{"a\n" + long + "\n" + long + "\nz\n", 2, long + "\nz\n"},
		{"a\n" + long + "\n" + long + "\nz\n", 3, long + "\n" + long + "\nz\n"},
	}
	path := filepath.Join(t.TempDir(), "f")
	for _, c := range cases {
		writeFile(t, path, c.content, 0o640)
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		off, err := lastLines(f, int64(len(c.content)), c.n)
		f.Close()
		if err != nil || c.content[off:] != c.want {
			t.Errorf("lastLines(%.20q, %d) = %d, %v: gives %.20q, want %.20q", c.content, c.n, off, err, c.content[off:], c.want)
		}
	}
}

// noteTaker collects FollowWith's events as lines "MESSAGE K", K counting each
// event's kind from 1, so that a test can wait for the Kth of a kind.
func noteTaker() (*syncBuf, func(string, Event)) {
	notes, seen := newSyncBuf(), map[Event]int{}
	return notes, func(path string, e Event) { // called by Follow's goroutine only
		seen[e]++
		fmt.Fprintf(notes, "%s %d\n", e.Message(path), seen[e])
	}
}

// TestFollowNotes: a log missing when Follow begins is waited for, and said so once; its
// appearance is said, and so is each truncation in place, as tail -F says them.
func TestFollowNotes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	notes, notify := noteTaker()
	out, idle := startFollowWith(t, path, FollowOptions{Lines: Lines{N: 5}, Notify: notify})
	if err := notes.waitFor(path + ": no such file yet; waiting for it to appear 1\n"); err != nil {
		t.Fatal(err)
	}
	if err := idle.waitMore(3); err != nil { // still missing: said once only
		t.Fatal(err)
	}
	writeFile(t, path, numbered("a", 1, 2), 0o640)
	if err := out.waitFor("a 2\n"); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	if err := notes.waitFor(path + ": file truncated 1\n"); err != nil {
		t.Fatal(err)
	}
	want := path + ": no such file yet; waiting for it to appear 1\n" +
		path + " has appeared; following it 1\n" +
		path + ": file truncated 1\n"
	if got := notes.String(); got != want {
		t.Errorf("notes:\n%s\nwant:\n%s", got, want)
	}
}

// TestFollowFromLine: Lines{N, FromLine} begins at line N, as tail -n +N does; past the
// last line it prints only what is appended.
func TestFollowFromLine(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		n    int
		want string
	}{
		{0, numbered("a", 1, 4)},
		{1, numbered("a", 1, 4)},
		{3, numbered("a", 3, 4)},
		{9, ""},
	} {
		t.Run(fmt.Sprint(c.n), func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("from%d.log", c.n))
			writeFile(t, path, numbered("a", 1, 4), 0o640)
			out, idle := startFollowWith(t, path, FollowOptions{Lines: Lines{N: c.n, FromLine: true}})
			if err := idle.waitTotal(1); err != nil { // it has begun: b is appended
				t.Fatal(err)
			}
			appendTo(t, path, "b\n")
			if err := out.waitFor("b\n"); err != nil {
				t.Fatal(err)
			}
			if got := out.String(); got != c.want+"b\n" {
				t.Errorf("from line %d: printed %q, want %q", c.n, got, c.want+"b\n")
			}
		})
	}
}

// TestPrint: Print of Lines{N, FromLine} prints from line N, and ends an unfinished last
// line; the last N lines otherwise.
func TestPrint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	writeFile(t, path, "a\nb\nc", 0o640)
	cases := []struct {
		l    Lines
		want string
	}{
		{Lines{N: 2, FromLine: true}, "b\nc\n"},
		{Lines{N: 3, FromLine: true}, "c\n"},
		{Lines{N: 4, FromLine: true}, ""},
		{Lines{N: 0, FromLine: true}, "a\nb\nc\n"},
		{Lines{N: 2}, "b\nc\n"},
		{Lines{N: -1}, "a\nb\nc\n"},
	}
	for _, c := range cases {
		var b strings.Builder
		if err := Print(&b, path, c.l); err != nil || b.String() != c.want {
			t.Errorf("Print(%+v) = %q, %v; want %q", c.l, b.String(), err, c.want)
		}
	}
}

// TestLineStart: where line n begins, across the 32 KiB read chunks.
func TestLineStart(t *testing.T) {
	long := strings.Repeat("y", 40000)
	cases := []struct {
		content string
		n       int
		want    string
	}{
		{"a\nb\nc\n", 2, "b\nc\n"},
		{"a\nb\nc", 3, "c"},
		{"a\nb\nc\n", 4, ""},
		{"a\nb\nc\n", 1, "a\nb\nc\n"},
		{"a\nb\nc\n", 0, "a\nb\nc\n"},
		{"", 2, ""},
		{"\n\n", 2, "\n"},
		{long + "\n" + long + "\nz\n", 3, "z\n"},
	}
	path := filepath.Join(t.TempDir(), "f")
	for _, c := range cases {
		writeFile(t, path, c.content, 0o640)
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		off, err := lineStart(f, int64(len(c.content)), c.n)
		f.Close()
		if err != nil || c.content[off:] != c.want {
			t.Errorf("lineStart(%.20q, %d) = %d, %v: gives %.20q, want %.20q", c.content, c.n, off, err, c.content[off:], c.want)
		}
	}
}
