package pidfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/daemonkit/daemonkit/internal/keepfile"
	"golang.org/x/sys/unix"
)

// readFile returns path's content, failing the test if it cannot.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTwentyProcessesRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "race.pid")
	gateR, gateW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer gateW.Close()
	helpers := make([]*helper, 20)
	for i := range helpers {
		helpers[i] = startHelper(t, "acquire", path, gateR)
	}
	gateR.Close()
	for _, h := range helpers {
		if l := h.line(t); l != "ready" {
			t.Fatalf("helper %d: got %q, want ready", h.pid(), l)
		}
	}
	gateW.Close() // every helper's read returns at once: they race from here

	results := make(map[*helper]string, len(helpers))
	var winner *helper
	for _, h := range helpers {
		l := h.line(t)
		results[h] = l
		if l == fmt.Sprintf("ok %d", h.pid()) {
			if winner != nil {
				t.Fatalf("two winners: %d and %d", winner.pid(), h.pid())
			}
			winner = h
		}
	}
	if winner == nil {
		t.Fatalf("no winner: %v", results)
	}
	want := fmt.Sprintf("locked %d pidfile %q is locked by pid %d", winner.pid(), path, winner.pid())
	for h, l := range results {
		if h != winner && l != want {
			t.Errorf("helper %d: got %q, want %q", h.pid(), l, want)
		}
	}
	s := mustProbe(t, path)
	if s.State != Running || s.PID != winner.pid() || s.FilePID != winner.pid() || s.Mismatch() {
		t.Errorf("Probe = %+v, want running by %d", s, winner.pid())
	}
	if got, want := readFile(t, path), strconv.Itoa(winner.pid())+"\n"; got != want {
		t.Errorf("content %q, want %q", got, want)
	}
}

func TestKilledHolderLeavesStaleFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	h := startHelper(t, "acquire", path, nil)
	h.expectOK(t)
	dead := h.pid()
	if err := h.cmd.Process.Signal(unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = h.cmd.Wait() // our direct child: reap it
	s := mustProbe(t, path)
	if s.State != Stale || s.PID != 0 || s.FilePID != dead || s.ContentErr != nil || s.Mismatch() {
		t.Fatalf("Probe = %+v, want stale naming %d", s, dead)
	}
	f, err := Acquire(path)
	if err != nil {
		t.Fatalf("Acquire over a stale file: %v", err)
	}
	releaseAtEnd(t, f)
	if got, want := readFile(t, path), strconv.Itoa(os.Getpid())+"\n"; got != want {
		t.Errorf("content %q, want %q", got, want)
	}
	if err := f.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Release: Lstat = %v, want not exist", err)
	}
}

func TestReleaseThenAcquireByAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	a := startHelper(t, "acquire", path, nil)
	a.expectOK(t)
	b := startHelper(t, "acquire", path, nil)
	b.expectLockedBy(t, path, a.pid())
	a.send(t, "release")
	if l := a.line(t); l != "released" {
		t.Fatalf("release: %q", l)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after Release: Lstat = %v, want not exist", err)
	}
	c := startHelper(t, "acquire", path, nil)
	c.expectOK(t)
	if s := mustProbe(t, path); s.State != Running || s.PID != c.pid() {
		t.Fatalf("Probe = %+v, want running by %d", s, c.pid())
	}
	a.send(t, "release") // a second Release is harmless
	if l := a.line(t); l != "released" {
		t.Fatalf("second release: %q", l)
	}
	if s := mustProbe(t, path); s.State != Running || s.PID != c.pid() {
		t.Fatalf("after a's second Release, Probe = %+v, want running by %d", s, c.pid())
	}
}

func TestReleaseTwiceAndNil(t *testing.T) {
	f, err := Acquire(filepath.Join(t.TempDir(), "d.pid"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Release(); err != nil {
		t.Fatal(err)
	}
	if err := f.Release(); err != nil {
		t.Fatalf("second Release: %v", err)
	}
	var nilFile *File
	if err := nilFile.Release(); !errors.Is(err, os.ErrInvalid) {
		t.Fatalf("nil Release: %v", err)
	}
}

func TestAcquireModesUnderUmask077(t *testing.T) {
	root := t.TempDir()
	path := filepath.Join(root, "a", "b", "d.pid")
	h := startHelper(t, "umask", path, nil)
	h.expectOK(t)
	for p, want := range map[string]os.FileMode{
		filepath.Join(root, "a"):      os.ModeDir | 0o755,
		filepath.Join(root, "a", "b"): os.ModeDir | 0o755,
		path:                          0o644 | keepfile.Mode,
	} {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode(), want)
		}
	}
}

func TestAcquireFixesModeAndContent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	if err := os.WriteFile(path, []byte("99999999\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	releaseAtEnd(t, f)
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := 0o644 | keepfile.Mode; fi.Mode() != want {
		t.Errorf("mode %v, want %v (sticky on Linux, so that tmpfiles cleaners keep it)", fi.Mode(), want)
	}
	if got, want := readFile(t, path), strconv.Itoa(os.Getpid())+"\n"; got != want {
		t.Errorf("content %q, want %q", got, want)
	}
	if f.Path() != path || f.PID() != os.Getpid() {
		t.Errorf("Path, PID = %q, %d", f.Path(), f.PID())
	}
}

func TestLockedError(t *testing.T) {
	err := error(&LockedError{Path: "/x/y.pid", PID: 123})
	if got, want := err.Error(), `pidfile "/x/y.pid" is locked by pid 123`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(fmt.Errorf("wrapped: %w", err), ErrLocked) {
		t.Error("errors.Is(err, ErrLocked) = false")
	}
	if errors.Is(err, ErrNotRegular) {
		t.Error("errors.Is(err, ErrNotRegular) = true")
	}
	if got := (&LockedError{Path: "/p"}).Error(); got != `pidfile "/p" is locked by a process whose pid cannot be determined` {
		t.Errorf("unknown holder: %q", got)
	}
}

// TestEmptyPath: every function given "" for a path says so (ErrEmptyPath), rather than
// report "absent": a caller that built its path wrong is not told no daemon runs.
func TestEmptyPath(t *testing.T) {
	if _, err := Acquire(""); !errors.Is(err, ErrEmptyPath) {
		t.Errorf("Acquire(\"\") = %v, want ErrEmptyPath", err)
	}
	if st, err := Probe(""); !errors.Is(err, ErrEmptyPath) {
		t.Errorf("Probe(\"\") = %+v, %v, want ErrEmptyPath", st, err)
	}
	if removed, err := RemoveStale(""); !errors.Is(err, ErrEmptyPath) {
		t.Errorf("RemoveStale(\"\") = %v, %v, want ErrEmptyPath", removed, err)
	}
}
