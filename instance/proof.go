package instance

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/daemonkit/daemonkit/internal/proc"
)

// provenByRecord returns a handle on the daemon the record at path names, when that
// process is alive and provably the one that wrote the record: the same pid and the same
// start time, read after the handle was opened, so that a reused pid can never pass, and
// still holding a lock (on its pidfile, deleted or replaced). It is how a daemon whose
// pidfile was deleted or replaced by hand is still found; nil when the record is missing,
// untrusted, another instance's, or proves nothing.
func provenByRecord(p Paths) (*proc.Process, *Record) {
	rec, err := ReadRecord(p.Record)
	if err != nil || rec.PID < 2 || rec.StartTime == 0 || rec.State == StateStopped || !rec.isFor(p) {
		return nil, nil
	}
	h, err := proc.Open(rec.PID)
	if err != nil {
		return nil, nil
	}
	st, err := proc.ReadStat(rec.PID)
	if err != nil || st.Zombie() || st.StartTime != rec.StartTime || !rec.sameBoot() {
		_ = h.Close()
		return nil, nil
	}
	if holds, ok := proc.HoldsPOSIXLock(rec.PID); ok && !holds {
		// It has let its pidfile's lock go: it is exiting (killed, its last thread gone
		// and its leader not yet a zombie), and no daemon of this instance any more.
		_ = h.Close()
		return nil, nil
	}
	return h, &rec
}

// sameBoot reports whether r was written since the machine last booted. A start time counts
// clock ticks from boot, and an early boot runs much the same way each time: after a reboot
// another process may well have the record's pid and start time. A record without a boot
// id (written by an older daemonkit, or where there is none) is taken as this boot's.
func (r Record) sameBoot() bool { return r.BootID == "" || r.BootID == BootID() }

// BootID returns this boot's id (/proc/sys/kernel/random/boot_id on Linux), which changes
// at every boot, or "" where the system has none.
func BootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// StartTime returns when pid started, in the units of Record.StartTime (clock ticks after
// boot), or 0 where the system cannot say.
func StartTime(pid int) uint64 {
	st, err := proc.ReadStat(pid)
	if err != nil {
		return 0
	}
	return st.StartTime
}

// isFor reports whether r is the record of the instance at p: the same name, and a pidfile
// of the same name in the same directory (the directory compared as a file, so that a
// state directory named through a symlink is the same one). A record copied by hand from
// another instance, or another state directory, names another instance's processes: it
// proves nothing here.
func (r Record) isFor(p Paths) bool {
	if r.Name != p.Name || filepath.Base(r.PIDFile) != filepath.Base(p.PIDFile) {
		return false
	}
	a, err := os.Stat(filepath.Dir(r.PIDFile))
	if err != nil {
		return false
	}
	b, err := os.Stat(filepath.Dir(p.PIDFile))
	return err == nil && os.SameFile(a, b)
}
