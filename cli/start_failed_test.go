package cli

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/launcher"
)

// TestRecordFailedStartLosesNoUpdate: a start recording its daemon's failure over the
// record of an earlier run changes the record as it is, under the record's lock: what
// another writer changed meanwhile (a stop clearing the run's mark once it has killed
// what the run left; here, a count) is never written over with what it read before.
//
// The other writer makes one change each round, at the same time as the start's: one
// that changed the record in a loop retook the lock the moment it let it go, before the
// start's waiter woke, and on a loaded machine starved it past recordLockWait, after
// which both wrote without the lock (the fallback for a frozen holder) and lost changes.
func TestRecordFailedStartLosesNoUpdate(t *testing.T) {
	dir := t.TempDir()
	req := &request{Program: "daemonkit", Name: "web", PIDFile: filepath.Join(dir, "web.pid"), Record: filepath.Join(dir, "web.json"),
		Log: filepath.Join(dir, "web.log"), Cwd: dir, Workdir: dir}
	if err := instance.WriteRecord(req.Record, instance.Record{Name: "web", Program: "daemonkit", PID: 100, State: instance.StateStopped}); err != nil {
		t.Fatal(err)
	}
	why := fmt.Errorf("start web: %w: killed by signal 9 (SIGKILL)", launcher.ErrExited)
	counted := 0
	for range 50 {
		var wg sync.WaitGroup
		wg.Go(func() { // the other writer, counting its changes in the record
			if err := instance.UpdateRecord(req.Record, func(r *instance.Record, err error) (bool, error) {
				r.Restarts++
				return err == nil, err
			}); err != nil {
				t.Error(err)
				return
			}
			counted++
		})
		_ = recordFailedStart(req, nil, "run-2", true, 100, why)
		wg.Wait()
	}
	got, err := instance.ReadRecord(req.Record)
	switch {
	case err != nil:
		t.Fatal(err)
	case !got.Failed || got.Restarts != counted:
		t.Fatalf("record = failed %v, restarts %d; want failed, and every one of the other writer's %d changes kept", got.Failed, got.Restarts, counted)
	}
}
