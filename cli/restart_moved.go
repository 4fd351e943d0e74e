package cli

import (
	"os"
	"path/filepath"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/pidfile"
)

// movedTo takes req's files that went with its record into the record's directory now, at
// record (the path the record was read at), where the directory was moved or copied since
// (see movedDir): the pidfile and, if it was beside them, the log. So the daemon restart
// starts is this directory's instance, the one status and stop then find, never one in the
// old directory, made again there. Otherwise it leaves req as it is (restart then finds a
// copy's original running, as before, rather than start a second one beside it). Files
// that were elsewhere (--pidfile or --log in another directory) stay where they were.
func (req *request) movedTo(record string) {
	old, now, moved := movedDir(req.Record, record, req.PIDFile)
	if !moved {
		return
	}
	req.PIDFile = movedWith(req.PIDFile, old, now)
	req.Log = movedWith(req.Log, old, now)
	req.Record = record
}

// movedLog is the log of the instance whose record was read at record: the path rec
// names, or, where the record's directory was moved or copied since (see movedDir) and the
// log was beside the record, the log beside it now, so that status and logs of a stopped
// instance find the log that moved with its record, as restart does (movedTo).
func movedLog(rec instance.Record, record string) string {
	if rec.PIDFile == "" {
		return rec.Log
	}
	// The record is written beside its pidfile, under its name (instance.Layout.Resolve).
	wrote := filepath.Join(filepath.Dir(rec.PIDFile), filepath.Base(record))
	old, now, moved := movedDir(wrote, record, rec.PIDFile)
	if !moved {
		return rec.Log
	}
	return movedWith(rec.Log, old, now)
}

// movedDir is the one rule for a moved state directory: it reports whether the record
// written at wrote, whose pidfile was pidFile, and read now at record, is in a directory
// moved or copied there since (mv, a backup restored, a container image's layer), and the
// directory it was written in (old) and the one it is in now. It is not where the record
// was read where it was written, whatever path named that directory (a symlink, /var/run
// for /run: the old record is this same file), nor where the old directory is a copy's
// original whose daemon still runs there.
func movedDir(wrote, record, pidFile string) (old, now string, moved bool) {
	old, now = filepath.Dir(wrote), filepath.Dir(record)
	if wrote == "" || old == now || filepath.Base(wrote) != filepath.Base(record) {
		return old, now, false
	}
	if was, err := os.Stat(wrote); err == nil {
		if is, err := os.Stat(record); err != nil || os.SameFile(was, is) {
			return old, now, false // the same directory, reached through another path
		}
		if st, _ := pidfile.Probe(pidFile); st.State == pidfile.Running {
			return old, now, false // a copy, whose original runs in the old directory
		}
	}
	return old, now, true
}

// movedWith is path in directory now if it was in directory old (a file that moved with
// it), else path as it is ("" stays "").
func movedWith(path, old, now string) string {
	if path == "" || filepath.Dir(path) != old {
		return path
	}
	return filepath.Join(now, filepath.Base(path))
}
