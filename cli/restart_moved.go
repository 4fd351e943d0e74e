package cli

import (
	"fmt"
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
	d := movedDir(req.Record, record, req.PIDFile)
	if !d.moved {
		return
	}
	req.PIDFile = movedWith(req.PIDFile, d.old, d.now)
	req.Log = movedWith(req.Log, d.old, d.now)
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
	d := movedDir(writtenAt(rec, record), record, rec.PIDFile)
	if !d.moved {
		return rec.Log
	}
	return movedWith(rec.Log, d.old, d.now)
}

// copyOfRunning reports whether the record read at record lies in a copy of the directory
// it was written in whose daemon runs there now (see movedDir): that directory, and the
// daemon's pid, the holder of the instance's pidfile there. A copy's stale pidfile is then
// the original's, taken while it ran, and the instance runs there: status and stop in the
// copy say so (copyNote). Whether that daemon is the very run the record is of, or a
// later one, is Record.WrittenFor's to say.
func copyOfRunning(rec instance.Record, record string) (dir string, pid int, ok bool) {
	if rec.PIDFile == "" {
		return "", 0, false
	}
	d := movedDir(writtenAt(rec, record), record, rec.PIDFile)
	return d.old, d.originalPID, d.originalPID > 0
}

// copiedRun says how the run of rec, read at record, stands where its record lies in a copy
// of the directory it was written in and the instance runs there now (copyOfRunning), for
// an instance not running here: that directory and the pid that runs there, and whether
// that is the very run the record is of (goesOn, Record.WrittenFor) or a later one, beside
// which the copied run ended unseen by the copy (endedUnseen). ok is false otherwise: not
// a copy, or a copied record of a run that ended before the copy, which says how itself.
func copiedRun(rec instance.Record, record string) (dir string, pid int, goesOn, ok bool) {
	dir, pid, copied := copyOfRunning(rec, record)
	switch {
	case !copied:
		return "", 0, false, false
	case rec.WrittenFor(pid):
		return dir, pid, true, true
	case rec.GoesOn():
		return dir, pid, false, true
	}
	return "", 0, false, false
}

// endedUnseen is how a copied run that ended in dir, unseen by the copy, ended (copiedRun).
func endedUnseen(dir string) string {
	return fmt.Sprintf("ended in %s, unseen by this copy (crashed, killed or stopped there)", dir)
}

// copiedRecord reports whether the instance at paths has its record in a copy of the
// directory it was written in, where the instance runs now (copyOfRunning): a stop there
// leaves the copied record as it is (instance.StopOptions.KeepStaleRecord), whose run only
// the original's record can tell the end of.
func copiedRecord(paths instance.Paths) bool {
	rec, err := instance.ReadRecord(paths.Record)
	if err != nil {
		return false
	}
	_, _, ok := copyOfRunning(rec, paths.Record)
	return ok
}

// writtenAt is where rec, read at record, was written: beside its pidfile, under its name
// (instance.Layout.Resolve).
func writtenAt(rec instance.Record, record string) string {
	return filepath.Join(filepath.Dir(rec.PIDFile), filepath.Base(record))
}

// dirMove is what movedDir found of a record's directory: the one it was written in (old),
// the one it is in now, whether it was moved or copied there since, and, where it is a
// copy whose original's daemon still runs in old, that daemon's pid (else 0).
type dirMove struct {
	old, now    string
	moved       bool
	originalPID int
}

// movedDir is the one rule for a moved state directory: it says whether the record written
// at wrote, whose pidfile was pidFile, and read now at record, is in a directory moved or
// copied there since (mv, a backup restored, a container image's layer), and the directory
// it was written in (old) and the one it is in now. It is not where the record was read
// where it was written, whatever path named that directory (a symlink, /var/run for /run:
// the old record is this same file), nor where the old directory is a copy's original
// whose daemon still runs there (whose pid it gives: the pidfile's lock holder).
func movedDir(wrote, record, pidFile string) dirMove {
	d := dirMove{old: filepath.Dir(wrote), now: filepath.Dir(record)}
	if wrote == "" || d.old == d.now || filepath.Base(wrote) != filepath.Base(record) {
		return d
	}
	if was, err := os.Stat(wrote); err == nil {
		if is, err := os.Stat(record); err != nil || os.SameFile(was, is) {
			return d // the same directory, reached through another path
		}
		if st, _ := pidfile.Probe(pidFile); st.State == pidfile.Running {
			d.originalPID = st.PID // a copy, whose original runs in the old directory
			return d
		}
	}
	d.moved = true
	return d
}

// movedWith is path in directory now if it was in directory old (a file that moved with
// it), else path as it is ("" stays "").
func movedWith(path, old, now string) string {
	if path == "" || filepath.Dir(path) != old {
		return path
	}
	return filepath.Join(now, filepath.Base(path))
}
