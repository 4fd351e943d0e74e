package cli

import (
	"os"
	"path/filepath"

	"github.com/daemonkit/daemonkit/pidfile"
)

// movedTo takes req's files that went with its record into the record's directory now, at
// record (the path the record was read at), where the directory was moved or copied since
// (mv, a backup restored, a container image's layer): the pidfile and, if it was beside
// them, the log. So the daemon restart starts is this directory's instance, the one status
// and stop then find, never one in the old directory, made again there. It leaves req as
// it is where the record was read where it was written, whatever path named that directory
// (a symlink, /var/run for /run: the old record is this same file), and where the old
// directory is a copy's original whose daemon still runs there (restart then finds it
// running, as before, rather than start a second one beside it). Files that were elsewhere
// (--pidfile or --log in another directory) stay where they were.
func (req *request) movedTo(record string) {
	old, now := filepath.Dir(req.Record), filepath.Dir(record)
	if req.Record == "" || old == now || filepath.Base(req.Record) != filepath.Base(record) {
		return
	}
	if was, err := os.Stat(req.Record); err == nil {
		if is, err := os.Stat(record); err != nil || os.SameFile(was, is) {
			return // the same directory, reached through another path
		}
		if st, _ := pidfile.Probe(req.PIDFile); st.State == pidfile.Running {
			return // a copy, whose original runs in the old directory
		}
	}
	if filepath.Dir(req.PIDFile) == old {
		req.PIDFile = filepath.Join(now, filepath.Base(req.PIDFile))
	}
	if req.Log != "" && filepath.Dir(req.Log) == old {
		req.Log = filepath.Join(now, filepath.Base(req.Log))
	}
	req.Record = record
}
