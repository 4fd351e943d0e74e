package instance

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/testutil"
	"golang.org/x/sys/unix"
)

// elsewherePaths is instance name of state directory dir started with its pidfile and
// log in other.
func elsewherePaths(t *testing.T, dir, other, name string) Paths {
	t.Helper()
	p := claimPaths(t, dir, name, filepath.Join(other, name+".log"))
	p.PIDFile, p.Record = filepath.Join(other, name+".pid"), filepath.Join(other, name+".json")
	return p
}

// markers is how many markers of claims elsewhere dir holds.
func markers(t *testing.T, dir string) int {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, ".log-elsewhere-*"))
	if err != nil {
		t.Fatal(err)
	}
	return len(m)
}

// TestRemoveLogClaimsUnmarks: delete of an instance whose pidfile is elsewhere removes its
// name's marker with its claims, so that markers do not pile up, one per name ever started
// so; but not while a claim still names an instance of that name elsewhere, nor while a
// start holds it.
func TestRemoveLogClaimsUnmarks(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	for _, name := range []string{"a", "b", "c"} { // start, stop, delete
		p := elsewherePaths(t, dir, other, name)
		mustClaim(t, dir, p).Release()
		if _, err := os.Lstat(elsewhereMarker(dir, name)); err != nil {
			t.Fatalf("claim of %s, elsewhere: no marker: %v", name, err)
		}
		RemoveLogClaims(dir, p)
	}
	if n := markers(t, dir); n != 0 {
		t.Errorf("after three instances elsewhere were deleted: %d markers; want none", n)
	}

	// web runs with its pidfile in other; another web, in another directory, is deleted:
	// web's claim stays, and so does the marker
	web := elsewherePaths(t, dir, other, "web")
	mustClaim(t, dir, web).Release()
	d := startDaemon(t, graceful, web.PIDFile, false)
	if err := WriteRecord(web.Record, Record{Name: "web", PID: d.pid, Log: web.Log, PIDFile: web.PIDFile}); err != nil {
		t.Fatal(err)
	}
	gone := elsewherePaths(t, dir, t.TempDir(), "web")
	mustClaim(t, dir, gone).Release()
	RemoveLogClaims(dir, gone)
	if found := RunsElsewhere(dir, "web", filepath.Join(dir, "web.pid")); len(found) != 1 || found[0].PID != d.pid {
		t.Errorf("after delete of another web: RunsElsewhere(web) = %+v; want pid %d", found, d.pid)
	}

	// a start of api that has marked its claim and not written it yet holds the marker
	api := elsewherePaths(t, dir, other, "api")
	mark := markClaim(dir, claimOf(api))
	RemoveLogClaims(dir, api)
	if _, err := os.Lstat(elsewhereMarker(dir, "api")); err != nil {
		t.Errorf("delete of api removed the marker a start of api holds: %v", err)
	}
	releaseMarker(mark)
}

// TestUnmarkNameRacingStart: a start that opens the marker while delete, holding it, reads
// the claims (and finds none), waits, finds it removed, and makes it anew: its claim,
// written next, is not left without its marker.
func TestUnmarkNameRacingStart(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	api := elsewherePaths(t, dir, other, "api")
	mustClaim(t, dir, api).Release()
	opened := make(chan struct{}, maxRecordLockOpens)
	testHookMarkOpened = func() { opened <- struct{}{} }
	marked := make(chan int, 1)
	raced := false
	testHookUnmarking = func() {
		raced = true
		go func() { marked <- markClaim(dir, claimOf(api)) }()
		<-opened // it has the marker open, and waits for its lock
	}
	t.Cleanup(func() { testHookMarkOpened, testHookUnmarking = nil, nil })
	RemoveLogClaims(dir, api)
	if !raced {
		t.Fatal("delete of api did not look at its marker")
	}
	mark := <-marked
	defer releaseMarker(mark)
	if mark < 0 || !isFileAt(mark, elsewhereMarker(dir, "api")) {
		t.Errorf("a start that marked api while its delete read the claims holds %d, not the marker at %s", mark, elsewhereMarker(dir, "api"))
	}
}

// TestMarkClaimNotHeldUpByAStoppedDelete: a delete stopped while it holds a marker's
// exclusive lock (Ctrl-Z) holds up a start's marking for markWait, not for ever.
func TestMarkClaimNotHeldUpByAStoppedDelete(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	api := elsewherePaths(t, dir, other, "api")
	path := elsewhereMarker(dir, "api")
	held, err := unix.Open(path, unix.O_RDONLY|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(held)
	// An open file description of its own: flock locks are per description.
	if err := unix.Flock(held, unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	go func() { done <- markClaim(dir, claimOf(api)) }()
	select {
	case mark := <-done:
		if mark >= 0 {
			releaseMarker(mark)
			t.Errorf("markClaim held the marker %s while another held its exclusive lock", path)
		}
	case <-time.After(markWait + testutil.Deadline):
		t.Fatalf("markClaim still waits for the marker's lock after %v", markWait+testutil.Deadline)
	}
	if _, err := os.Lstat(path); err != nil {
		t.Errorf("the marker is not there: %v", err)
	}
}
