package instance

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/pidfile"
)

// ErrUnprovenHolder means a process holds the lock of the instance's pidfile that nothing
// proves to be its daemon (holderProven): nothing is signalled.
var ErrUnprovenHolder = errors.New("the pidfile's lock holder is not proven its daemon")

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

// replacedByHand reports whether err, from pidfile.Probe, says that the pidfile's path
// names what no stop or status may read as a pidfile: a FIFO, a directory or a symbolic
// link (pidfile.ErrNotRegular), a file with other hard links (pidfile.ErrHardLink), or
// nothing, under a file put where its directory was (ENOTDIR). Put there by hand over a
// running daemon's pidfile, it is one the daemon cannot take back (pidfile.Restore refuses
// it too): only its record, or its lock on its deleted pidfile, still finds it (proven).
func replacedByHand(err error) bool {
	return errors.Is(err, pidfile.ErrNotRegular) || errors.Is(err, pidfile.ErrHardLink) || errors.Is(err, syscall.ENOTDIR)
}

// pidfileFlag is how a user names a pidfile's path, in the fix of a refusal of what the
// path names (pidfile.Advise).
const pidfileFlag = "--pidfile (or --state-dir)"

// proven returns a handle on the daemon of p that its pidfile does not show (deleted or
// replaced by hand), and its record: as provenByRecord proves it, or, when its record is
// gone too (with their directory, which the daemon could not make again), by the lock it
// still holds on its deleted pidfile (provenByLock), with a record that names it alone.
// That look is made wherever there is no record, whatever the pidfile's directory holds
// now: a directory made again and in use at once (another instance's start, a file put
// there) is not yet one its daemon has put its pidfile back in (it looks again a second
// later, or never, where it may not write there), and a start that did not look would run
// a second daemon of the instance beside it. It costs a read of /proc/locks.
func proven(p Paths) (*proc.Process, *Record) {
	if h, rec := provenByRecord(p); h != nil {
		return h, rec
	}
	if _, err := os.Lstat(p.Record); !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
		return nil, nil
	}
	return provenByLock(p)
}

// provenByLock returns a handle on the process that holds the lock of p's pidfile, deleted
// (proc.DeletedLockHolder), and a record that names it (Name, PID, StartTime and PIDFile
// alone: ByLock): the lock, not a file's content, says which daemon runs, as Probe's does.
// The holder is proven again after the handle is opened, so that a pid reused in between
// never passes: from its own descriptors (proc.HoldsDeletedLock), as a second read of
// /proc/locks, which can wait for an RCU grace period, would cost up to tens of ms. nil,
// nil when no process holds such a lock.
func provenByLock(p Paths) (*proc.Process, *Record) {
	pid := deletedLockHolder(p.PIDFile)
	if pid < 2 {
		return nil, nil
	}
	h, err := proc.Open(pid)
	if err != nil {
		return nil, nil
	}
	st, err := proc.ReadStat(pid)
	if err != nil || st.Zombie() || !proc.HoldsDeletedLock(pid, p.PIDFile) {
		_ = h.Close()
		return nil, nil
	}
	return h, &Record{Name: p.Name, PID: pid, StartTime: st.StartTime, PIDFile: p.PIDFile, ByLock: true}
}

// deletedLockHolder is proc.DeletedLockHolder; a test counts its reads of /proc/locks.
var deletedLockHolder = proc.DeletedLockHolder

// names reports whether r is the record of the running process pid (the lock holder, as
// this caller's pid namespace numbers it): by its pid and start time (a container's daemon
// gets the same pid at every run, so the pid alone would take an earlier run's record for
// this one's), or, for a daemon in another pid namespace (a container's, whose record has
// the pid it has there), by its start time alone, which every namespace reads on the same
// clock. A record marked stopped names no running process.
func (r Record) names(pid int) bool {
	if r.State == StateStopped {
		return false // an earlier run's, whose pid this one may have been given again
	}
	start := StartTime(pid)
	if r.PID == pid {
		return r.StartTime == 0 || start == 0 || start == r.StartTime // by pid only where nothing can tell
	}
	return r.StartTime != 0 && r.sameBoot() && start == r.StartTime
}

// Names reports whether r is the record of the running process pid, a daemon's (the
// lock holder's, as this caller's pid namespace numbers it): by its pid and start time,
// as Inspect takes a record for the daemon's (Status.Record). A record of an earlier run,
// or marked stopped, is not.
func (r Record) Names(pid int) bool { return r.names(pid) }

// WrittenFor reports whether r was written for the running process pid: the very run it
// is of, whatever state it records since (a copy of it marked stopped elsewhere, say), by
// its start time, this boot; by that alone, as Names does, since a daemon in another pid
// namespace (a container's) records the pid it has there, and may be that namespace's pid 1.
// A later run, a reused pid, or a record without a start time is not. The caller proves
// pid the instance's daemon otherwise (it holds the pidfile's lock).
func (r Record) WrittenFor(pid int) bool {
	return pid > 0 && r.StartTime != 0 && r.sameBoot() && StartTime(pid) == r.StartTime
}

// initProven reports whether the record at p proves that this pid namespace's init (pid 1),
// which the kernel names as the holder of p's pidfile, is the instance's daemon: a daemon
// run as a container's PID 1, in the foreground. Pid 1 is signalled only then: on a host it
// is the system's init, and nothing but this proof tells the two apart.
func initProven(p Paths) bool {
	rec, err := ReadRecord(p.Record)
	if err != nil || rec.PID != 1 || rec.StartTime == 0 || rec.State == StateStopped || !rec.isFor(p) || !rec.sameBoot() {
		return false
	}
	st, err := proc.ReadStat(1)
	return err == nil && st.StartTime == rec.StartTime
}

// holderProven reports whether the process that holds the lock of p's pidfile, as st (a
// Probe of it that found it held) names it, is the instance's daemon. The lock alone does
// not prove that: any process of the file's owner (or root's) can lock it, a stale
// pidfile's included. A daemon writes its own pid in the pidfile as it takes the lock, so
// the content naming the holder (as this namespace, or the holder's own, a container's,
// numbers it) proves it; so does a record that names it (its pid and start time), or,
// while a start of the instance is under way, the mark of a start's launch on a process
// launched moments ago (MayBeStarting), for the instant between a launched daemon's lock
// and its write. Pid 1 needs initProven's stricter proof.
func holderProven(p Paths, st pidfile.Status) bool {
	if st.PID == 1 {
		return initProven(p)
	}
	if st.ContentErr == nil && (st.FilePID == st.PID || st.FilePID == proc.InnerPID(st.PID)) {
		return true
	}
	if rec, err := ReadRecord(p.Record); err == nil && rec.isFor(p) && rec.names(st.PID) {
		return true
	}
	// The mark alone proves nothing: every program a daemon runs inherits it, and what
	// they start. A start of this instance under way, and a process it launched moments ago.
	return p.StartUnderWay() != 0 && MayBeStarting(st.PID, startAwait)
}

// errUnprovenHolder is the error for a pidfile whose lock st's holder, not pid 1, holds
// with nothing to prove it the daemon (holderProven), even after a while to write its pid.
func errUnprovenHolder(p Paths, st pidfile.Status) error {
	e := &unprovenHolderError{path: p.PIDFile, st: st, command: cmdline(st.PID)}
	switch rec, err := ReadRecord(p.Record); {
	case errors.Is(err, fs.ErrNotExist):
		e.record = "there is no record"
	case err != nil:
		e.record = fmt.Sprintf("its record cannot be read (%v: if that process is its daemon, remove the record, rm %s, and the daemon writes it again at once, which proves it)", err, p.Record)
	default:
		e.record = fmt.Sprintf("its record names pid %d", rec.PID)
	}
	return e
}

// unprovenHolderError names the lock holder of a pidfile that nothing proves its daemon,
// what the file names instead, and what to do; errors.Is ErrUnprovenHolder.
type unprovenHolderError struct {
	path    string
	st      pidfile.Status
	command []string // the holder's command line, nil if it could not be read
	record  string   // what the record says instead: "its record names pid N", ...
}

func (e *unprovenHolderError) Error() string {
	names := "no pid"
	if e.st.ContentErr == nil {
		names = fmt.Sprintf("pid %d", e.st.FilePID)
	}
	command := strings.Join(e.command, " ")
	if len(command) > 80 {
		command = command[:77] + "..."
	}
	return fmt.Sprintf("pidfile %q is locked by pid %d (%s), which nothing proves its daemon: the file names %s, %s, and no start of it launched that process; "+
		"nothing is signalled (if that process should not hold the file, end it yourself: kill %d)",
		e.path, e.st.PID, cmp.Or(command, "command line unknown"), names, e.record, e.st.PID)
}

func (e *unprovenHolderError) Is(target error) bool { return target == ErrUnprovenHolder }

// errUnprovenInit is the error for a pidfile whose lock the kernel says pid 1 holds, with
// no record that proves pid 1 the daemon (initProven).
func errUnprovenInit(path string) error {
	return fmt.Errorf("pidfile %q is locked by pid 1, this system's (or container's) init, which no record proves to be its daemon (not yet ready, or not one): nothing is signalled", path)
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
