package pidfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	helperModes["byte1"] = runByte1Helper
	helperModes["starter"] = runStarterHelper
	helperModes["cleaner"] = runCleanerHelper
}

// runByte1Helper takes a cleaner's lock (byte 1) on path, prints "locked", and holds it
// until EOF on stdin.
func runByte1Helper(path, _ string) int {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		fmt.Printf("err %v\n", err)
		return 1
	}
	if ok, err := setLock(fd, cleanerLock()); !ok || err != nil {
		fmt.Printf("err lock: %v %v\n", ok, err)
		return 1
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// setSettleTime sets settleTime for one test.
func setSettleTime(t *testing.T, d time.Duration) {
	old := settleTime
	t.Cleanup(func() { settleTime = old })
	settleTime = d
}

// setBusyHook installs testHookBusy for one test; hook runs at most once.
func setBusyHook(t *testing.T, hook func()) {
	var once sync.Once
	t.Cleanup(func() { testHookBusy = nil })
	testHookBusy = func() { once.Do(hook) }
}

// startByte1 starts a helper holding a cleaner's lock on path.
func startByte1(t *testing.T, path string) *helper {
	t.Helper()
	c, err := spawnHelper(t, "byte1", path, "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.expect(t, "locked")
	return c
}

// TestCleanerIsInvisible: while a cleaner holds byte 1, Probe reports the file stale (not
// running by the cleaner), and Acquire waits for the cleaner instead of reporting it as
// the holder.
func TestCleanerIsInvisible(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	if err := os.WriteFile(path, []byte("4242\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := startByte1(t, path)
	if s := mustProbe(t, path); s.State != Stale || s.PID != 0 || s.FilePID != 4242 {
		t.Fatalf("Probe while a cleaner works = %+v, want stale", s)
	}
	setSettleTime(t, waitLimit)
	setBusyHook(t, func() { c.stdin.Close() }) // the cleaner lets go once Acquire has met it
	f, err := Acquire(path)
	if err != nil {
		t.Fatalf("Acquire while a cleaner works: %v", err)
	}
	releaseAtEnd(t, f)
	if s := mustProbe(t, path); s.State != Running || s.PID != os.Getpid() || s.FilePID != os.Getpid() {
		t.Fatalf("Probe = %+v, want running by this process", s)
	}
}

// TestCleanersExcludeEachOther: a second cleaner neither removes the file nor reports the
// first as a daemon; it retries until the first lets go, and gives up after settleTime.
func TestCleanersExcludeEachOther(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	if err := os.WriteFile(path, []byte("4242\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := startByte1(t, path)
	setSettleTime(t, 100*time.Millisecond)
	removed, err := RemoveStale(path)
	if removed || !errors.Is(err, errUnstable) || errors.Is(err, ErrLocked) ||
		!strings.HasPrefix(err.Error(), fmt.Sprintf("remove stale pidfile %q: ", path)) {
		t.Fatalf("RemoveStale while another cleaner works = %v, %v; want it to give up", removed, err)
	}
	f, err := Acquire(path)
	if f != nil {
		_ = f.Release()
	}
	if !errors.Is(err, errUnstable) || errors.Is(err, ErrLocked) {
		t.Fatalf("Acquire while a cleaner holds on = %v; want it to give up", err)
	}
	if got := readFile(t, path); got != "4242\n" {
		t.Fatalf("content changed: %q", got)
	}
	setSettleTime(t, waitLimit)
	setBusyHook(t, func() { c.stdin.Close() })
	if removed, err := RemoveStale(path); !removed || err != nil {
		t.Fatalf("RemoveStale after the other cleaner let go = %v, %v", removed, err)
	}
}

// raceRounds is how many rounds each racing helper makes; PIDFILE_TEST_RACE_ROUNDS
// overrides it for a longer run.
func raceRounds() string {
	if n := os.Getenv("PIDFILE_TEST_RACE_ROUNDS"); n != "" {
		return n
	}
	return "150"
}

// raceReport prints the pids a helper's LockedErrors named, then "done".
func raceReport(lockedBy map[int]bool) {
	pids := []string{"lockedby"}
	for pid := range lockedBy {
		pids = append(pids, strconv.Itoa(pid))
	}
	fmt.Println(strings.Join(pids, " "))
	fmt.Println("done")
}

// runStarterHelper acquires and releases path arg times, as start and stop would; any error
// but a *LockedError is printed as "bad ...".
func runStarterHelper(path, arg string) int {
	n, _ := strconv.Atoi(arg)
	lockedBy := map[int]bool{}
	for range n {
		f, err := Acquire(path)
		var le *LockedError
		switch {
		case errors.As(err, &le):
			lockedBy[le.PID] = true
		case err != nil:
			fmt.Printf("bad acquire: %v\n", err)
		default:
			if err := f.Check(); err != nil {
				fmt.Printf("bad check: %v\n", err)
			}
			if err := f.Release(); err != nil {
				fmt.Printf("bad release: %v\n", err)
			}
		}
	}
	raceReport(lockedBy)
	return 0
}

// runCleanerHelper, arg times, creates an empty (stale) pidfile at path if there is none
// and removes it with RemoveStale; any error but a *LockedError is printed as "bad ...".
func runCleanerHelper(path, arg string) int {
	n, _ := strconv.Atoi(arg)
	lockedBy := map[int]bool{}
	for range n {
		fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o644)
		if err == nil {
			_ = unix.Close(fd)
		}
		_, err = RemoveStale(path)
		var le *LockedError
		switch {
		case errors.As(err, &le):
			lockedBy[le.PID] = true
		case err != nil:
			fmt.Printf("bad remove: %v\n", err)
		}
	}
	raceReport(lockedBy)
	return 0
}

// TestCleanersNeverSeenAsDaemons races helper processes that start and stop (Acquire,
// Release) against helper processes that only clean (RemoveStale), while this process
// probes: nobody may ever see a cleaner as the holder, and no start may give up.
func TestCleanersNeverSeenAsDaemons(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	rounds := raceRounds()
	starters, cleaners := map[int]bool{}, map[int]bool{}
	var all []*helper
	for i := range 10 {
		mode := []string{"starter", "cleaner"}[i%2]
		h, err := spawnHelper(t, mode, path, rounds, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, h)
		map[string]map[int]bool{"starter": starters, "cleaner": cleaners}[mode][h.pid()] = true
	}
	type report struct {
		h     *helper
		lines []string
	}
	reports := make(chan report, len(all))
	for _, h := range all {
		go func() {
			r := report{h: h}
			for l := range h.lines {
				r.lines = append(r.lines, l)
				if l == "done" {
					break
				}
			}
			reports <- r
		}()
	}

	deadline := time.Now().Add(waitLimit)
	probes, seen := 0, map[int]bool{}
	for finished := 0; finished < len(all); {
		select {
		case r := <-reports:
			finished++
			if len(r.lines) == 0 || r.lines[len(r.lines)-1] != "done" {
				t.Fatalf("helper %d ended without finishing: %q", r.h.pid(), r.lines)
			}
			for _, l := range r.lines {
				if strings.HasPrefix(l, "bad ") {
					t.Errorf("helper %d: %s", r.h.pid(), l)
				}
				if rest, ok := strings.CutPrefix(l, "lockedby"); ok {
					for _, f := range strings.Fields(rest) {
						if pid, _ := strconv.Atoi(f); !starters[pid] {
							t.Errorf("helper %d was told the file is locked by %d, not a starter", r.h.pid(), pid)
						}
					}
				}
			}
		default:
		}
		s, err := Probe(path)
		if err != nil {
			t.Fatalf("Probe: %v", err)
		}
		probes++
		if s.State == Running {
			seen[s.PID] = true
			if !starters[s.PID] {
				t.Fatalf("Probe = %+v: running by %d, which only cleans (%v)", s, s.PID, cleaners[s.PID])
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("helpers not done within %v", waitLimit)
		}
	}
	t.Logf("%d probes; saw %d distinct starters running", probes, len(seen))
}
