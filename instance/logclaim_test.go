package instance

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// claimPaths resolves instance name's paths in the state directory dir, with log.
func claimPaths(t *testing.T, dir, name, log string) Paths {
	t.Helper()
	p, err := Layout{StateDir: dir}.Resolve(name, "", log)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// mustClaim takes p's log claim in dir, which must be free, and gives it up at the end of
// the test.
func mustClaim(t *testing.T, dir string, p Paths) *LogClaim {
	t.Helper()
	c, w, err := ClaimLog(context.Background(), dir, p, time.Second)
	if err != nil || w != nil {
		t.Fatalf("ClaimLog(%s) = writer %+v, %v; want the claim", p.Name, w, err)
	}
	t.Cleanup(c.Release)
	return c
}

func TestClaimLogRunningWriter(t *testing.T) {
	dir, logs := t.TempDir(), t.TempDir()
	log := filepath.Join(logs, "shared.log")
	a := claimPaths(t, dir, "a", log)
	mustClaim(t, dir, a).Release()
	d := startDaemon(t, graceful, a.PIDFile, false)
	if err := WriteRecord(a.Record, Record{Name: "a", PID: d.pid, Log: log}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(log, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "ln")
	if err := os.Symlink(logs, link); err != nil {
		t.Fatal(err)
	}
	elsewhere := claimPaths(t, dir, "a", log)
	elsewhere.PIDFile, elsewhere.Record = filepath.Join(logs, "a.pid"), filepath.Join(logs, "a.json")
	for _, p := range []Paths{
		claimPaths(t, dir, "b", log),
		claimPaths(t, dir, "b", filepath.Join(link, "shared.log")), // a symlinked directory
		elsewhere, // the same name, its pidfile elsewhere
	} {
		c, w, err := ClaimLog(context.Background(), dir, p, time.Second)
		if err != nil || c != nil || w == nil || w.Name != "a" || w.PID != d.pid || w.PIDFile != a.PIDFile {
			t.Errorf("ClaimLog(%s, log %s) = %v, writer %+v, %v; want writer a, pid %d", p.PIDFile, p.Log, c, w, err, d.pid)
		}
		c.Release()
	}
	mustClaim(t, dir, a) // its own log is no clash
}

func TestClaimLogNoWriter(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(t.TempDir(), "shared.log")
	a := claimPaths(t, dir, "a", log)
	mustClaim(t, dir, a).Release()
	mustClaim(t, dir, claimPaths(t, dir, "b", log)).Release() // a does not run

	// a runs, but its record of the run names another log: it was started again with it
	d := startDaemon(t, graceful, a.PIDFile, false)
	if err := WriteRecord(a.Record, Record{Name: "a", PID: d.pid, Log: log + ".other"}); err != nil {
		t.Fatal(err)
	}
	mustClaim(t, dir, claimPaths(t, dir, "c", log)).Release()

	// no file, nobody's
	if c, w, err := ClaimLog(context.Background(), dir, claimPaths(t, dir, "d", os.DevNull), time.Second); c != nil || w != nil || err != nil {
		t.Errorf("ClaimLog(/dev/null) = %v, %v, %v; want nothing", c, w, err)
	}
}

func TestClaimLogBusy(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(t.TempDir(), "shared.log")
	a := mustClaim(t, dir, claimPaths(t, dir, "a", log))
	b := claimPaths(t, dir, "b", log)
	_, _, err := ClaimLog(context.Background(), dir, b, 30*time.Millisecond)
	if !errors.Is(err, ErrLogClaimBusy) || !strings.Contains(err.Error(), "instance a, pidfile "+filepath.Join(dir, "a.pid")) {
		t.Fatalf("ClaimLog while a's start holds it = %v; want ErrLogClaimBusy naming a", err)
	}
	a.Release()
	mustClaim(t, dir, b)
}

// BenchmarkClaimLog is a start's cost of its log's claim: "again", the instance that
// claimed it last starts again (the claims read, nothing written); "other", an instance
// whose former writer, another, is stopped (its pidfile probed, the claims rewritten).
func BenchmarkClaimLog(b *testing.B) {
	dir := b.TempDir()
	log := filepath.Join(b.TempDir(), "shared.log")
	if err := os.WriteFile(log, nil, 0o640); err != nil {
		b.Fatal(err)
	}
	var ps [2]Paths
	for i, name := range []string{"a", "b"} {
		p, err := Layout{StateDir: dir}.Resolve(name, "", log)
		if err != nil {
			b.Fatal(err)
		}
		ps[i] = p
	}
	for _, bc := range []struct {
		name  string
		every int // how many instances take turns
	}{{"again", 1}, {"other", 2}} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				c, w, err := ClaimLog(context.Background(), dir, ps[i%bc.every], time.Second)
				if err != nil || w != nil {
					b.Fatal(w, err)
				}
				c.Release()
			}
		})
	}
}

// A log that logrotate replaced keeps its claims: the state directory holds two files for
// it, however often it is rotated.
func TestClaimLogRotatedKeepsClaims(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(t.TempDir(), "app.log")
	a := claimPaths(t, dir, "a", log)
	for i := range 3 {
		if err := os.WriteFile(log, nil, 0o640); err != nil {
			t.Fatal(err)
		}
		mustClaim(t, dir, a).Release()
		if err := os.Rename(log, log+"."+string(rune('1'+i))); err != nil {
			t.Fatal(err)
		}
	}
	claims, err := filepath.Glob(filepath.Join(dir, ".log-*.claim"))
	if err != nil || len(claims) != 2 {
		t.Fatalf("claims %v, %v; want two, one by path, one by directory", claims, err)
	}
}

// An instance started before claims were kept is found by its record: the state
// directory's first claim gives it its claims.
func TestClaimLogUnclaimedWriter(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(t.TempDir(), "shared.log")
	a := claimPaths(t, dir, "a", log)
	d := startDaemon(t, graceful, a.PIDFile, false)
	if err := WriteRecord(a.Record, Record{Name: "a", PID: d.pid, Log: log}); err != nil {
		t.Fatal(err)
	}
	if err := WriteRecord(filepath.Join(dir, "z.json"), Record{Name: "z", PID: d.pid, Log: log + ".z"}); err != nil {
		t.Fatal(err)
	}
	c, w, err := ClaimLog(context.Background(), dir, claimPaths(t, dir, "b", log), time.Second)
	if err != nil || c != nil || w == nil || w.Name != "a" || w.PID != d.pid {
		t.Fatalf("ClaimLog(b) = %v, writer %+v, %v; want writer a, pid %d", c, w, err, d.pid)
	}
	mustClaim(t, dir, a) // a's own first claim
}

// An instance that starts again with another log is not the writer of the log its claim
// (its previous run's) names: a start with that log would hold the claim until ready.
func TestClaimLogStartingWithAnotherLog(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(t.TempDir(), "shared.log")
	a := claimPaths(t, dir, "a", log)
	mustClaim(t, dir, a).Release()                  // its previous run's claim
	d := startDaemon(t, graceful, a.PIDFile, false) // holds its pidfile, not ready: no record of it
	if st, err := Inspect(a); err != nil || !st.Starting || st.PID() != d.pid {
		t.Fatalf("Inspect(a) = %+v, %v; want it starting, pid %d", st, err, d.pid)
	}
	mustClaim(t, dir, claimPaths(t, dir, "b", log))
}

// A refused claim leaves no claim file of its own: the one it made, which names nobody, is
// removed; the writer's stay.
func TestClaimLogRefusedLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(t.TempDir(), "shared.log")
	a := claimPaths(t, dir, "a", log)
	mustClaim(t, dir, a).Release()
	d := startDaemon(t, graceful, a.PIDFile, false)
	if err := WriteRecord(a.Record, Record{Name: "a", PID: d.pid, Log: log}); err != nil {
		t.Fatal(err)
	}
	byPath := (&LogClaim{stateDir: dir}).path(pathKey(log))
	if err := os.Remove(byPath); err != nil { // only the claim by directory names a (a bind mount's)
		t.Fatal(err)
	}
	c, w, err := ClaimLog(context.Background(), dir, claimPaths(t, dir, "b", log), time.Second)
	if err != nil || c != nil || w == nil || w.Name != "a" {
		t.Fatalf("ClaimLog(b) = %v, writer %+v, %v; want writer a", c, w, err)
	}
	claims, err := filepath.Glob(filepath.Join(dir, ".log-*.claim"))
	if err != nil || len(claims) != 1 || strings.HasPrefix(filepath.Base(claims[0]), ".log-p") {
		t.Fatalf("claims after the refusal %v, %v; want a's by directory only", claims, err)
	}
}

// delete's RemoveLogClaims removes the claims that name the instance, and only those.
func TestRemoveLogClaims(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(t.TempDir(), "app.log")
	a, b := claimPaths(t, dir, "a", log), claimPaths(t, dir, "b", log)
	mustClaim(t, dir, a).Release()
	RemoveLogClaims(dir, b) // names a: stays
	if claims, _ := filepath.Glob(filepath.Join(dir, ".log-*.claim")); len(claims) != 2 {
		t.Fatalf("claims after removing b's: %v; want a's two", claims)
	}
	held := mustClaim(t, dir, a)
	RemoveLogClaims(dir, a) // held by a start: stays
	if claims, _ := filepath.Glob(filepath.Join(dir, ".log-*.claim")); len(claims) != 2 {
		t.Fatalf("claims after removing a's held ones: %v; want them kept", claims)
	}
	held.Release()
	RemoveLogClaims(dir, a)
	if claims, _ := filepath.Glob(filepath.Join(dir, ".log-*.claim")); len(claims) != 0 {
		t.Fatalf("claims after removing a's: %v; want none", claims)
	}
}

// In a state directory this user cannot write, where no claim can be made, a start reads
// no records for claims it could not give (migrateClaims).
func TestClaimLogUnwritableStateDirReadsNoRecords(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes any directory (TestUnprivileged runs it as nobody)")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
	migrating := 0
	testHookMigrating = func() { migrating++ }
	t.Cleanup(func() { testHookMigrating = nil })
	for range 2 {
		c, w, err := ClaimLog(context.Background(), dir, claimPaths(t, dir, "a", filepath.Join(t.TempDir(), "a.log")), time.Second)
		if err != nil || w != nil {
			t.Fatalf("ClaimLog in a read-only state directory = %v, writer %+v, %v; want nothing refused", c, w, err)
		}
		c.Release()
	}
	if migrating != 0 {
		t.Fatalf("migrateClaims read the records %d times in a directory it cannot write; want none", migrating)
	}
}

// Two logs named through a link and not, in a directory that is not there yet (the daemon
// makes it), are one claim: their starts are decided one after the other. So too through a
// dangling link to the directory to be.
func TestClaimLogDirectoryNotThereYet(t *testing.T) {
	dir, root := t.TempDir(), t.TempDir()
	link := filepath.Join(t.TempDir(), "varlog")
	if err := os.Symlink(root, link); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(t.TempDir(), "qlink")
	if err := os.Symlink(filepath.Join(root, "q"), dangling); err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]string{
		{filepath.Join(root, "app", "x.log"), filepath.Join(link, "app", "x.log")},
		{filepath.Join(root, "q", "x.log"), filepath.Join(dangling, "x.log")},
	} {
		if a, b := resolvedPath(pair[0]), resolvedPath(pair[1]); a != b {
			t.Errorf("resolvedPath(%s) = %s, resolvedPath(%s) = %s; want one", pair[0], a, pair[1], b)
		}
		held := mustClaim(t, dir, claimPaths(t, dir, "a", pair[0]))
		_, _, err := ClaimLog(context.Background(), dir, claimPaths(t, dir, "b", pair[1]), 50*time.Millisecond)
		if !errors.Is(err, ErrLogClaimBusy) {
			t.Errorf("ClaimLog(b, %s) while a holds %s's claim: %v; want ErrLogClaimBusy", pair[1], pair[0], err)
		}
		held.Release()
	}
}

// A failed start's claim, forgotten, leaves no file, even where the daemon made the log's
// directory meanwhile (Release would have recorded the claim by it).
func TestClaimLogForgetAfterDirectoryMade(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(t.TempDir(), "nd", "x.log")
	c := mustClaim(t, dir, claimPaths(t, dir, "f", log))
	if err := os.Mkdir(filepath.Dir(log), 0o755); err != nil {
		t.Fatal(err)
	}
	c.Forget()
	c.Release()
	if claims, _ := filepath.Glob(filepath.Join(dir, ".log-*.claim")); len(claims) != 0 {
		t.Fatalf("claims after a forgotten start: %v; want none", claims)
	}
}
