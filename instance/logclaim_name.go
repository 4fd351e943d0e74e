package instance

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
)

// RunsElsewhere is the instance named name that runs, ready, with another pidfile than
// pidfile, as the claim of its log in stateDir names it: a start of --name web --pidfile
// run/web.pid, typed in another directory, whose name alone (status web, stop web) finds
// nothing in the state directory, and whose log's claim the start left there. It returns
// its paths and its daemon's pid, or false. A claim is only read here, without its lock: a
// claim half written by a start under way reads as none, and so does one whose instance
// has stopped, or runs now with another log.
func RunsElsewhere(stateDir, name, pidfile string) (Paths, int, bool) {
	files, _ := filepath.Glob(filepath.Join(stateDir, ".log-*.claim"))
	slices.Sort(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		var c claimed
		if err != nil || len(b) > 16<<10 || json.Unmarshal(b, &c) != nil || c.Name != name {
			continue
		}
		if w := writerOf(c, Paths{PIDFile: pidfile, Log: c.Log}); w != nil {
			return w.Paths, w.PID, true
		}
	}
	return Paths{}, 0, false
}
