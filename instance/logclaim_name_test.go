package instance

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkRunsElsewhere: status or stop of a name that is not running, in a state
// directory of 313 claims none of which names it, as status web reads them for its note.
func BenchmarkRunsElsewhere(b *testing.B) {
	dir := b.TempDir()
	for i := range 313 {
		claim := fmt.Sprintf(`{"name":"n%03d","pidfile":"%s/n%03d.pid","record":"%s/n%03d.json","log":"%s/n%03d.log"}`, i, dir, i, dir, i, dir, i)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf(".log-p%032d.claim", i)), []byte(claim), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	pidfile := filepath.Join(dir, "web.pid")
	for b.Loop() {
		if found := RunsElsewhere(dir, "web", pidfile); len(found) != 0 {
			b.Fatal(found)
		}
	}
}

// TestRunsElsewhereIndexed: in a state directory where every claim of an instance whose
// pidfile is elsewhere has its marker, RunsElsewhere of a name that has none reads no
// claim, however many there are; of a name that has one, it finds that instance. A
// directory of an older daemonkit's claims, without markers, is indexed by the first
// claim made there, and read whole until then.
func TestRunsElsewhereIndexed(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	const old = 200 // an older daemonkit's claims, of instances of the state directory
	for i := range old {
		claim := fmt.Sprintf(`{"name":"n%03d","pidfile":"%s/n%03d.pid","record":"%s/n%03d.json","log":"%s/n%03d.log"}`, i, dir, i, dir, i, dir, i)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf(".log-p%032d.claim", i)), []byte(claim), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// and one of an instance api, started by it with its pidfile elsewhere
	api := fmt.Sprintf(`{"name":"api","pidfile":"%s/api.pid","record":"%s/api.json","log":"%s/api.log"}`, other, other, other)
	if err := os.WriteFile(filepath.Join(dir, ".log-papi.claim"), []byte(api), 0o600); err != nil {
		t.Fatal(err)
	}
	reads := 0
	testHookClaimRead = func() { reads++ }
	t.Cleanup(func() { testHookClaimRead = nil })
	if found := RunsElsewhere(dir, "web", filepath.Join(dir, "web.pid")); len(found) != 0 || reads != old+1 {
		t.Fatalf("before any claim of this build: RunsElsewhere(web) = %v after %d reads; want none after %d", found, reads, old+1)
	}

	// web runs with its pidfile elsewhere: its start's claim marks it
	web := claimPaths(t, dir, "web", filepath.Join(other, "web.log"))
	web.PIDFile, web.Record = filepath.Join(other, "web.pid"), filepath.Join(other, "web.json")
	mustClaim(t, dir, web).Release()
	d := startDaemon(t, graceful, web.PIDFile, false)
	if err := WriteRecord(web.Record, Record{Name: "web", PID: d.pid, Log: web.Log, PIDFile: web.PIDFile}); err != nil {
		t.Fatal(err)
	}

	reads = 0
	if found := RunsElsewhere(dir, "n001", filepath.Join(dir, "n001.pid")); len(found) != 0 || reads != 0 {
		t.Errorf("RunsElsewhere(n001) = %v after %d claim reads; want none after none", found, reads)
	}
	if RunsElsewhere(dir, "api", filepath.Join(dir, "api.pid")); reads == 0 {
		t.Errorf("RunsElsewhere(api) read no claim: the older daemonkit's claim of api, elsewhere, has no marker")
	}
	if found := RunsElsewhere(dir, "web", filepath.Join(dir, "web.pid")); len(found) != 1 || found[0].PID != d.pid || found[0].Paths.PIDFile != web.PIDFile {
		t.Errorf("RunsElsewhere(web) = %+v; want pid %d, pidfile %s", found, d.pid, web.PIDFile)
	}
}

// TestClaimLogMarksUnchangedClaim: a claim of an instance whose pidfile is elsewhere,
// written in an indexed state directory by an older daemonkit (which leaves no marker),
// gets its marker from the next start of that instance by this one, though the claim it
// would write is the one that is there: else status and stop of its name never find it.
func TestClaimLogMarksUnchangedClaim(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	web := claimPaths(t, dir, "web", filepath.Join(other, "web.log"))
	web.PIDFile, web.Record = filepath.Join(other, "web.pid"), filepath.Join(other, "web.json")
	mustClaim(t, dir, web).Release()
	marker := elsewhereMarker(dir, "web")
	if _, err := os.Lstat(filepath.Join(dir, claimsIndexed)); err != nil {
		t.Fatalf("the first claim left no %s: %v", claimsIndexed, err)
	}
	// as an older daemonkit's start of web leaves it: the same claim, no marker
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	mustClaim(t, dir, web).Release()
	if _, err := os.Lstat(marker); err != nil {
		t.Errorf("a claim of web, elsewhere, taken again as it was: no marker: %v", err)
	}
}
