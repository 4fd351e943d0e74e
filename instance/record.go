package instance

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/daemonkit/daemonkit/internal/proc"
	"golang.org/x/sys/unix"
)

// Record is what a daemon writes beside its pidfile once ready, so that status and restart
// can see how it was started. It is informative: whether the daemon runs is decided by the
// pidfile's lock, and a record counts only when its PID is the lock holder's, or, when the
// pidfile was lost, when its PID and StartTime prove the process is the one that wrote it.
type Record struct {
	Name      string `json:"name"`
	PID       int    `json:"pid"`
	StartTime uint64 `json:"start_time,omitempty"` // clock ticks after boot (/proc/PID/stat): with PID and BootID, names one process for ever
	BootID    string `json:"boot_id,omitempty"`    // the boot StartTime counts from (see BootID): a record from before a reboot proves nothing
	// AliveTicks is when the daemon last wrote the record (in StartTime's terms): it was
	// alive then. A process of its session started before it is one of its run's (see
	// Leftovers). Written by the daemon alone (StampAlive), never by a command that reads.
	AliveTicks uint64    `json:"alive_ticks,omitempty"`
	Strategy   string    `json:"strategy"`
	StartedAt  time.Time `json:"started_at"`
	Listen     string    `json:"listen,omitempty"`
	// Ready is a supervised program's readiness check (start --ready), which says what
	// Listen is: with tcp: and http:, an address the check reached, which the program
	// answers on but daemonkit does not know it listens on.
	Ready   string `json:"ready,omitempty"`
	Log     string `json:"log"`
	PIDFile string `json:"pidfile"`
	// ByLock says this record was never written: it names a daemon whose pidfile and record
	// are gone, found by the lock it holds on its deleted pidfile (Inspect's Unlocked).
	ByLock  bool            `json:"-"`
	Program string          `json:"program"`           // the program that started it, which alone can start it again
	Unit    string          `json:"unit,omitempty"`    // in the foreground as a systemd service's process: the service, as systemctl's arguments name it ("web.service", "--user web.service")
	Request json.RawMessage `json:"request,omitempty"` // how to start it again, in the program's own terms (JSON)
	// Build is the build of that program whose daemon wrote the record, which the daemon
	// runs for its whole life, whatever binary is on disk since: its release version, or,
	// for a build without one, "dev" with the VCS revision it was built from and whether
	// its tree had changes ("dev (revision 38f773c0a1b2, modified)"). Empty in a record
	// of a daemonkit from before 2026-11-27 12:00 UTC, which did not say.
	Build string `json:"build,omitempty"`
	// ShutdownTimeout is how long the daemon lets its work drain once asked to stop (start's
	// --shutdown-timeout); it may take server.KillGrace more to kill what is left. stop
	// waits that long before SIGKILL unless told otherwise.
	ShutdownTimeout time.Duration `json:"shutdown_timeout,omitempty"`
	// DroppedLogLines counts the log lines the daemon could not write (a full disk), as of
	// the last time it could update its record.
	DroppedLogLines uint64 `json:"dropped_log_lines,omitempty"`
	// DroppedLogCause is why the last of them could not be written ("write /var/log/web.log:
	// no space left on device"), recorded with DroppedLogLines; empty in a record an older
	// build wrote.
	DroppedLogCause string `json:"dropped_log_cause,omitempty"`
	// LogProblem says why the daemon could not reopen its log at its path (reopen, reload:
	// what logrotate moved away), and when; it writes to the file it had until a reopen
	// succeeds, which clears it.
	LogProblem string `json:"log_problem,omitempty"`
	// LogReopenFailures counts the reopens of this run that failed, each of which set
	// LogProblem: one that fails as the one before it did, within the same second, leaves
	// LogProblem's text as it was, and only this count tells it from no answer yet. 0 in
	// a record an older build wrote.
	LogReopenFailures uint64 `json:"log_reopen_failures,omitempty"`
	// LogFD is the daemon's own descriptor of its log (above 2), through which it writes
	// its lines and which its reopen makes the log last, after 1 and 2 (a work may have
	// closed those, and their numbers name files of its own): 0 for a daemon that writes
	// through 1 and 2 alone (an older daemonkit's, or a foreground start's without --log).
	LogFD int `json:"log_fd,omitempty"`

	// State is "running" from the moment the daemon is ready, "stopped" once it is gone.
	// It is what the record last knew: whether the daemon runs is decided by the lock.
	State     string    `json:"state,omitempty"`
	StoppedAt time.Time `json:"stopped_at,omitzero"`
	// LastExit says how the work last ended: "exited with status 3", "killed by signal 9
	// (SIGKILL)", "stopped", "gone without stopping (crashed or killed)".
	LastExit string `json:"last_exit,omitempty"`
	// Failed says the last run ended on its own (its work returned, crashed or exited, or
	// its supervisor gave up on a program that kept ending), or its start failed, rather
	// than by a stop: systemd's failed unit, not its stopped one.
	Failed bool `json:"failed,omitempty"`

	// A supervised program (start -- CMD): its command line, its main process's pid now,
	// how often it was restarted, and that process's start time (as StartTime's, 0 if it
	// could not be read: see SetChild). The pid and start time name the program's main
	// process for the boot: one that outlives a killed supervisor (a daemon adopted by
	// --ready pidfile:, nginx's master) is found by them (see Leftovers). A record marked
	// stopped by stop after its daemon was gone without stopping keeps them, as it keeps
	// Invocation, until what the run left is killed.
	Command        []string `json:"command,omitempty"`
	ChildPID       int      `json:"child_pid,omitempty"`
	Restarts       int      `json:"restarts,omitempty"`
	ChildStartTime uint64   `json:"child_start_time,omitempty"` // after restarts: readers match child_pid then restarts
	// RestartAt is when a program that ended is started again, while its supervisor
	// backs off (ChildPID is 0 then); zero while a copy of it runs.
	RestartAt time.Time `json:"restart_at,omitzero"`
	// Copies are the program's copies while an upgrade overlaps them (start --socket):
	// the one starting, the one serving, the ones draining.
	Copies []Copy `json:"copies,omitempty"`
	// Sockets are the listening sockets the supervisor holds for the program (start
	// --socket), as [NAME=]NETWORK:ADDRESS (NAME when one was given), with port 0 resolved.
	Sockets []string `json:"sockets,omitempty"`
	// Control is the supervisor's control socket (upgrade talks to it).
	Control string `json:"control,omitempty"`
	// Invocation is the run's value of InvocationEnv, kept until the run has left nothing
	// running: a daemon that stops cleanly clears it (MarkStoppedClean), and so does stop
	// once it has killed what a run that did not left (see Leftovers).
	Invocation string `json:"invocation,omitempty"`
	// Session is the session the daemon runs in when that session is the instance's own
	// (its strategy started one: reexec, setsid), 0 when it shares its caller's (nohup, the
	// foreground). What is still in it once the daemon is gone is the run's, whether or
	// not it kept the run's mark in its environment (see Leftovers).
	Session int `json:"session,omitempty"`
	// IgnoresHUP says the daemon keeps SIGHUP ignored, and takes SIGUSR1 for a reload
	// too, though its strategy does not say so: a foreground start under nohup(1), whose
	// work keeps the hangup ignored as nohup promises (the nohup strategy's daemons do so
	// by their strategy, which names it).
	IgnoresHUP bool `json:"ignores_hup,omitempty"`
	// TakesReloadMark says the daemon may take a SIGHUP for its terminal's hangup (a
	// foreground start, outside a service manager, not PID 1), and so takes a reload's
	// mark (TakeReloadMark) with each SIGHUP: reload writes one for it, and for no other
	// daemon, which would leave it behind. False in a record an older build wrote.
	TakesReloadMark bool `json:"takes_reload_mark,omitempty"`
}

// EndedFailed reports whether the record, of an instance that is not running now, tells of
// a run that failed: Failed, or a record that still says running or stopping, whose daemon
// went without stopping (crashed or killed).
func (r Record) EndedFailed() bool {
	return r.Failed || r.State == StateRunning || r.State == StateStopping || r.LastExit == gone // marked so by an older stop
}

// GoesOn reports whether r says its run goes on, running or stopping, as its daemon leaves
// it until it has stopped (and one that went without stopping leaves it for good).
func (r Record) GoesOn() bool {
	return r.State == StateRunning || r.State == StateStopping
}

// Restarting reports whether the record is of a supervisor backing off between restarts
// of its program: the supervisor may run, but its program does not.
func (r Record) Restarting() bool {
	return len(r.Command) > 0 && r.ChildPID == 0 && !r.RestartAt.IsZero()
}

// ProgramEnded reports whether the record, of a supervisor that runs, says no copy of its
// program runs now: it is Restarting, or it is what a supervisor of a daemonkit built
// before 2026-11-26 16:52 UTC (which kept no RestartAt) wrote between restarts: a command
// and how the program last ended, with no program's pid and no copy that is ready (a
// restart's copy may be starting). A record that names
// its Build is newer than that: its supervisor says RestartAt when it restarts, and one
// that has no copy and plans none (it gave up, and its program's old copies drain) is not
// taken for one restarting.
func (r Record) ProgramEnded() bool {
	return r.Restarting() ||
		(r.Build == "" && r.State == StateRunning && len(r.Command) > 0 && r.ChildPID == 0 && !r.copyReady() && r.LastExit != "")
}

// copyReady reports whether one of r's Copies is ready (serves): a restart's copy that
// is still starting, all an older supervisor's record names then, is not.
func (r Record) copyReady() bool {
	for _, c := range r.Copies {
		if c.State == "ready" {
			return true
		}
	}
	return false
}

// StampAlive sets AliveTicks to now. Only the record's daemon calls it, as it writes the
// record.
func (r *Record) StampAlive() { r.AliveTicks = proc.Ticks() }

// SetChild makes pid, a process running below this one (0 for none), the program's main
// process in r: its ChildPID, with its start time as ChildStartTime, read while it is alive
// and still below this process, so that it is that process's (0 where it cannot be read:
// it has ended, and its pid may be another's). The caller must be the record's daemon.
func (r *Record) SetChild(pid int) {
	r.ChildPID, r.ChildStartTime = pid, startBelow(pid)
}

// startBelow is the start time of pid, a live process running below this one, or 0.
func startBelow(pid int) uint64 {
	if pid < 2 {
		return 0
	}
	st, err := proc.ReadStat(pid)
	if err != nil || st.Zombie() || !proc.DescendsFrom(pid, os.Getpid()) {
		return 0 // it has ended; its pid may be another's once it is reaped
	}
	return st.StartTime
}

// Copy is one copy of a supervised program.
type Copy struct {
	PID        int `json:"pid"`
	Generation int `json:"generation"`
	// State is starting, ready, draining, ended (it ended while another copy served
	// beside it) or stopping (the main process it named ended, and the rest of it stops).
	State string `json:"state"`
}

// Record states. A daemon's record says running once it is ready, stopping once it has
// begun to stop (a stop signal came: it drains; a daemon that supervises no program says so
// once its drain has run 10 ms, and one whose drain ends sooner goes from running to
// stopped), and stopped once it is gone.
const (
	StateRunning  = "running"
	StateStopping = "stopping"
	StateStopped  = "stopped"
)

// CouldNotStart begins the LastExit of a start that failed before its work was ready: the
// instance's own start (its Restarts 0), or a supervised program's restart.
const CouldNotStart = "could not start: "

// FailedStart makes r the record of a start that failed before it was ready, why being
// the failure (CouldNotStart begins its LastExit), over what r said of an earlier run: the
// instance is stopped, failed, and has no program running or waiting to restart.
func (r *Record) FailedStart(why string) {
	r.State, r.StoppedAt, r.LastExit, r.Failed = StateStopped, time.Now().UTC(), CouldNotStart+why, true
	r.ChildPID, r.ChildStartTime, r.RestartAt, r.Copies = 0, 0, time.Time{}, nil
}

// StartCalledOff begins the LastExit of a start that a stop called off before it was
// ready (CalledOff).
const StartCalledOff = "start called off: "

// CalledOff makes r the record of a start that a stop called off before it was ready,
// why being the stop ("stopped by SIGTERM before it was ready"), as FailedStart does, but
// stopped, not failed, as systemd cancels a start job: it did not end on its own.
func (r *Record) CalledOff(why string) {
	r.FailedStart(why)
	r.LastExit, r.Failed = StartCalledOff+why, false
}

// DrainCutShort begins the LastExit of a stop that cut the work's drain short (its
// shutdown timeout passed, or a second stop signal came) before the work returned: what
// it still served was cut off, which "stopped" alone would hide. A supervised program's
// own end, which its supervisor records, says more and is kept instead.
const DrainCutShort = "stopped: its drain was cut short "

// CutShort reports whether r is of a stop that cut its work's drain short (DrainCutShort),
// and if so why, as in "at its --shutdown-timeout (1s)".
func (r Record) CutShort() (why string, ok bool) { return strings.CutPrefix(r.LastExit, DrainCutShort) }

// CalledOffStart reports whether r is of a start that a stop called off before it was
// ready (CalledOff, or what its daemon writes as it begins to drain): its run never
// served, and has no uptime to tell, though its daemon may still drain.
func (r Record) CalledOffStart() bool { return strings.HasPrefix(r.LastExit, StartCalledOff) }

// ErrBadRecord means a file at a record's path is not a record: damaged, or another file
// that a --pidfile led beside. Nothing replaces or removes it.
var ErrBadRecord = errors.New("not a valid record")

// ErrUntrusted means a record was not written by the user reading it (or is writable by
// others): another user could have planted it, so nothing it says is acted on.
var ErrUntrusted = errors.New("record not written by you")

// WriteRecord writes r to path atomically, mode 0600 (a record holds --env's values and the
// command line, and no other user's daemonkit acts on it anyway), sticky on Linux while it
// is of a run that matters still (running, or one whose leftovers are yet to be found), so
// that tmpfiles cleaners keep it (see internal/keepfile): it writes a temporary file in the
// same directory, syncs it and renames it over path, so a reader sees the old record or the
// new one, never a part. It replaces only a record this user wrote: anything else at path
// (a configuration file a careless --pidfile led to, another user's record) is refused
// with an error that says what it is, and left as it was. When the file system has no
// block for the new file (ENOSPC, EDQUOT), it writes the record into the old one's blocks
// instead, if it fits there, so that a reader still sees the old record or the new one,
// or, for a moment, no record (see rewriteInPlace). It holds the record's lock while it
// writes (see lockRecord), and then writes through the record's one temporary file, which
// replaces what a writer killed mid-write left there (see newRecordTemp).
func WriteRecord(path string, r Record) error {
	unlock, locked := lockRecordHeld(path)
	defer unlock()
	return writeRecord(path, r, locked, func(tmp string) error { return os.Rename(tmp, path) })
}

// testHookTempWritten, when set by a test, runs when writeRecord has written and synced
// the new record at tmp, before it puts it in place.
var testHookTempWritten func(tmp string)

// writeRecord is WriteRecord, with place putting the whole new record, written and synced
// at tmp, at path (a rename, or replaceRecord's exchange); whatever place leaves at tmp
// when it fails is removed. locked says the caller holds the record's lock (see
// newRecordTemp).
func writeRecord(path string, r Record, locked bool, place func(tmp string) error) error {
	if err := checkOverwrite(path); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode record %q: %w", path, err)
	}
	f, err := newRecordTemp(path, locked)
	if err != nil {
		return inPlaceFallback(path, r, fmt.Errorf("write record %q: %w", path, err))
	}
	tmp := f.Name()
	err = writeSync(f, append(b, '\n'), recordMode(r))
	if err == nil && testHookTempWritten != nil {
		testHookTempWritten(tmp)
	}
	if err == nil {
		err = place(tmp)
	}
	if errors.Is(err, errRecordGone) || errors.Is(err, errRecordChanged) {
		_ = os.Remove(tmp)
		return err
	}
	if err != nil {
		_ = os.Remove(tmp) // best effort: the error below is what matters
		return inPlaceFallback(path, r, fmt.Errorf("write record %q: %w", path, err))
	}
	return nil
}

// writeSync writes b to f, gives it mode whatever the umask, syncs and closes it.
func writeSync(f *os.File, b []byte, mode os.FileMode) error {
	_, err := f.Write(b)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadRecord reads the record at path. The error wraps fs.ErrNotExist when there is none,
// and ErrUntrusted when the file is owned by another user than the effective one, is
// writable by group or others, or is not a regular file (a symlink is not followed). An
// empty file (a record daemonkit never leaves: it renames a whole one into place) says
// nothing, and reads as the zero Record: it names no daemon, proves nothing, and may be
// replaced or deleted, which loses nothing. A file of JSON that is not a record (no
// instance name, no program) wraps ErrBadRecord, as one that is not JSON does.
func ReadRecord(path string) (Record, error) {
	r, _, err := readRecordID(path)
	return r, err
}

// readRecordID is ReadRecord, and the file it read the record from.
func readRecordID(path string) (Record, fileID, error) {
	b, id, err := readTrustedID(path)
	if err != nil || len(b) == 0 {
		return Record{}, id, err
	}
	r, err := decodeRecord(b)
	if err != nil {
		return Record{}, id, fmt.Errorf("read record %q: %w: %w", path, ErrBadRecord, err)
	}
	if r.Name == "" && r.Program == "" { // JSON of something else: every record says both
		return Record{}, id, fmt.Errorf("read record %q: %w: it names no instance and no program", path, ErrBadRecord)
	}
	return r, id, nil
}

// MarkStopped marks the record at path stopped, with lastExit, if it names pid and says
// running, so that a stopped instance keeps its record (list shows it, restart starts it
// again) and never marks the record of a daemon started since. An absent record, or a file
// that is not one of this user's records, is left alone without error. It keeps the
// record's invocation, and the program's main process (ChildPID, ChildStartTime), for stop
// to look for what the run left (see Leftovers). failed
// says no stop ended the run (Record.Failed): the daemon went without stopping.
func MarkStopped(path string, pid int, lastExit string, failed bool) error {
	return markStopped(path, pid, lastExit, false, failed)
}

// MarkStoppedClean is MarkStopped for a daemon that stopped everything its run started
// itself: it also clears the record's invocation and its program's main process, so that
// nobody looks for what it left.
// failed says its work ended on its own rather than by a stop (Record.Failed).
func MarkStoppedClean(path string, pid int, lastExit string, failed bool) error {
	return markStopped(path, pid, lastExit, true, failed)
}

// It marks the record it read and no other (updateRecord): a record removed since (a start
// a stop called off, of an instance that never ran, removes its daemon's) stays removed.
// It is a run's end: it sweeps what writers killed mid-write left (updateRecordSweep).
func markStopped(path string, pid int, lastExit string, clean, failed bool) error {
	_, err := markStoppedFrom(path, pid, nil, lastExit, clean, failed)
	return err
}

// MarkStoppedCleanFrom is MarkStoppedClean of rec, the record as its daemon holds it (newer
// than the file: what its work published since the last write), in one write where a
// write of rec and then the mark were two. It marks only a record that names pid and does
// not say stopped, as MarkStoppedClean does, and reports whether it wrote; where it did
// not, or failed, the daemon writes rec and marks as before.
func MarkStoppedCleanFrom(path string, pid int, rec Record, lastExit string, failed bool) (bool, error) {
	return markStoppedFrom(path, pid, &rec, lastExit, true, failed)
}

// markStoppedFrom is markStopped; with base, the record written is base, marked, in place
// of the file's (which must still name pid and not say stopped). It reports whether it
// wrote.
func markStoppedFrom(path string, pid int, base *Record, lastExit string, clean, failed bool) (wrote bool, err error) {
	err = updateRecordSweep(path, true, func(r *Record, err error) (bool, error) {
		wrote = false // of this attempt: one whose write found the file changed reads it again
		switch {
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, ErrBadRecord), errors.Is(err, ErrUntrusted):
			return false, nil
		case err != nil:
			return false, fmt.Errorf("mark record stopped: %w", err)
		case r.PID != pid || r.State == StateStopped:
			return false, nil
		}
		if base != nil {
			*r = *base
		}
		wrote = true
		r.State, r.StoppedAt, r.Failed = StateStopped, time.Now().UTC(), failed
		if clean || r.Invocation == "" {
			r.Invocation, r.ChildPID, r.ChildStartTime = "", 0, 0
		} // else the program's main process, by pid and start time, is one Leftovers looks for
		if lastExit != "" || r.LastExit == "" {
			r.LastExit = lastExit
		}
		return true, nil
	})
	return wrote && err == nil, err
}

// RemoveRecord removes the record at path only if it names pid, so that it never removes
// the record of a daemon started since. An absent record, or a file that is not a record, is
// left alone without error, and so is every record when pid is below 1 (removeRecordIf).
func RemoveRecord(path string, pid int) error {
	if pid < 1 {
		return nil
	}
	return removeRecordIf(path, func(r Record) bool { return r.PID == pid })
}

// removeRecordIf removes the record at path only if its content satisfies match, holding
// the record's lock from its read to the removal (see lockRecord). An absent record, or a
// file that is not one of this user's records, is left alone without error.
func removeRecordIf(path string, match func(Record) bool) error {
	defer lockRecord(path)()
	r, err := ReadRecord(path)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, ErrBadRecord), errors.Is(err, ErrUntrusted):
		return nil
	case err != nil:
		return fmt.Errorf("remove record: %w", err)
	case !match(r):
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove record: %w", err)
	}
	return nil
}

// readTrusted reads path, a regular file that the effective user owns and nobody else may
// write, without following a symlink and without blocking on a FIFO.
func readTrusted(path string) ([]byte, error) {
	b, _, err := readTrustedID(path)
	return b, err
}

// readTrustedID is readTrusted, and the file it read.
func readTrustedID(path string) ([]byte, fileID, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			return nil, fileID{}, fmt.Errorf("read record %q: %w: it is a symbolic link", path, ErrUntrusted)
		}
		return nil, fileID{}, fmt.Errorf("read record: %w", &fs.PathError{Op: "open", Path: path, Err: err})
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fileID{}, fmt.Errorf("read record: %w", err)
	}
	st, _ := fi.Sys().(*syscall.Stat_t)
	id := idOf(fi)
	switch {
	case !fi.Mode().IsRegular():
		return nil, fileID{}, fmt.Errorf("read record %q: %w: it is not a regular file", path, ErrUntrusted)
	case st != nil && int(st.Uid) != os.Geteuid():
		return nil, fileID{}, fmt.Errorf("read record %q: %w: it is owned by uid %d, not by uid %d", path, ErrUntrusted, st.Uid, os.Geteuid())
	case fi.Mode().Perm()&0o022 != 0:
		return nil, fileID{}, fmt.Errorf("read record %q: %w: its mode %04o lets others write it", path, ErrUntrusted, fi.Mode().Perm())
	}
	b, err := readSized(io.LimitReader(f, maxRecordSize+1), fi.Size())
	if err != nil {
		return nil, fileID{}, fmt.Errorf("read record: %w", err)
	}
	if len(b) > maxRecordSize {
		return nil, fileID{}, fmt.Errorf("read record %q: %w: larger than %d bytes", path, ErrBadRecord, maxRecordSize)
	}
	return b, id, nil
}

// readSized is io.ReadAll of r, a file of size bytes as its stat said: one buffer of that
// size and one byte more, so that a file that did not change is read in one read(2) and its
// end seen in another (io.ReadAll's buffer starts at 512 bytes and grows, eight reads and
// as many copies for a record of 5 KB). A file that grew since is read to its end all the same.
func readSized(r io.Reader, size int64) ([]byte, error) {
	b := make([]byte, 0, max(0, min(size, maxRecordSize))+1)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // room to read on
		}
	}
}

// maxRecordSize bounds what ReadRecord reads. A record is a few kilobytes, but it holds
// the program's command line twice (Command, and in Request), indented: a command line near
// the kernel's limit for exec (ARG_MAX, 2 MiB under the usual 8 MiB stack limit) makes a
// record of several MiB, which status, restart and delete must still read.
const maxRecordSize = 32 << 20

// checkOverwrite refuses to replace what is at path unless it is nothing, an empty file of
// this user's, or a record this user wrote. Only those conflicts say "refusing to replace
// it": a path that cannot be read (a directory on the way that is a file, one this user
// may not search) says why, as the read said it (not a directory, permission denied).
func checkOverwrite(path string) error {
	b, err := readTrusted(path)
	switch {
	case errors.Is(err, fs.ErrNotExist), err == nil && len(b) == 0:
		return nil
	case errors.Is(err, ErrUntrusted):
		return fmt.Errorf("write record %q: refusing to replace it: %w; if it is not another's, remove it (rm %s)", path, err, path)
	case errors.Is(err, ErrBadRecord): // larger than a record may be: a file of something else
		return fmt.Errorf("write record %q: refusing to replace it: %w", path, err)
	case err != nil:
		return fmt.Errorf("write record %q: %w", path, err) // "read record: open PATH: not a directory"
	}
	if midRewrite(b) {
		return nil // this user's record, whose rewrite in place failed half way
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(b, &probe) != nil || probe["name"] == nil || probe["pid"] == nil {
		return fmt.Errorf("write record %q: %w: it holds %q, which is not a record: refusing to replace it; if it is this instance's record, damaged, remove it (rm %s)", path, ErrBadRecord, truncate(b, 28), path)
	}
	return nil
}

// CheckReplaceable says why WriteRecord would refuse to write a record at path (a file
// that is not one of this user's records: see WriteRecord), or nil. start asks before it
// launches anything, so that a program is never started only to be stopped when its
// record cannot be written.
func CheckReplaceable(path string) error { return checkOverwrite(path) }

// truncate keeps the first n bytes of b.
func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
