package instance

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/pidfile"
)

// The states List gives an instance, besides StateRunning and StateStopped.
const (
	StateStale      = "stale"      // not running, but its pidfile is left behind
	StateRestarting = "restarting" // its supervisor runs, backing off before it starts its program again
	StateStarting   = "starting"   // it holds its lock, but is not ready yet (Status.Starting)
	StateUnknown    = "unknown"    // its state could not be told (Entry.Err says why)
	StateFailed     = "failed"     // not running, and its work ended on its own, or never started (Entry.Failed)
	// StateDown: not running, but its record cannot be read (another user's, or damaged:
	// Entry.RecordErr says why), so whether it was stopped or failed cannot be told.
	StateDown = "down"
)

// Entry is one instance of a state directory, as List found it.
type Entry struct {
	// Paths are its files; Log is the one its record names, if it has a record that does.
	Paths Paths
	// Status is Inspect's: whether it runs is decided by its pidfile's lock, never by
	// its record.
	Status Status
	// Record is its record when this user wrote it (ReadRecord refuses others'): for a
	// running instance only one that names it (Status.Record); otherwise the record as
	// the instance left it, which may still say running if it crashed or was killed.
	Record *Record
	// Err is why its state could not be told (Inspect's error: permission denied, a
	// pidfile that is not a regular file, ...).
	Err error
	// RecordErr is why its record, which is there, could not be read (not a record,
	// another user's, ...), as status notes it; for a running instance, Status.RecordErr.
	RecordErr error
}

// State is "running", "starting" (not ready yet: Status.Starting), "stopping" (it drains
// after a stop signal), "restarting" (its supervisor runs, its program does not: see
// Record.ProgramEnded), "stale" (not running, pidfile left behind), "failed" (not running,
// and it ended on its own: Failed), "down" (not running, and its record, which alone says
// how it ended, cannot be read: RecordErr), "stopped" or "unknown" (see Err).
func (e Entry) State() string {
	switch {
	case e.Err != nil:
		return StateUnknown
	case e.Status.Running() && e.Status.Record != nil && e.Status.Record.ProgramEnded():
		return StateRestarting
	case e.Status.Starting: // not ready yet, or its daemon not even launched yet
		return StateStarting
	case e.Status.Running() && e.Status.Record != nil && e.Status.Record.State == StateStopping:
		return StateStopping
	case e.Status.Running():
		return StateRunning
	case e.Status.Pidfile.State == pidfile.Stale:
		return StateStale
	case e.Failed():
		return StateFailed
	case e.RecordErr != nil: // only the record tells a stop from a failure
		return StateDown
	}
	return StateStopped
}

// Failed reports whether the instance, not running, last ended other than by a stop, as
// systemd tells a failed unit from a stopped one (Record.EndedFailed): its work exited
// other than clean or crashed, its supervisor gave up on a program that kept ending, its
// start failed, or its daemon went without stopping (LastExit says which).
func (e Entry) Failed() bool {
	if e.Err != nil || e.Status.Running() || e.Record == nil {
		return false
	}
	return e.Record.EndedFailed()
}

// LastExit says how the instance's work last ended, as the record of its run says (see
// RunRecord): "exited with status 3", "killed by signal 9 (SIGKILL)", ... For an instance
// that is not running, a record marked stopped that says nothing more gives "stopped", and
// a record that still says running gives "gone without stopping (crashed or killed)":
// nothing marked it stopped (see EndedHow). "" when there is no record of its run, or the
// record of a running instance says nothing.
func (e Entry) LastExit() string {
	rec := e.RunRecord()
	switch {
	case rec == nil:
		return ""
	case e.Err != nil || e.Status.Running():
		return rec.LastExit
	}
	return EndedHow(*rec)
}

// EndedHow says how the run that rec is the record of ended, for an instance that is not
// running: "gone without stopping (crashed or killed)" if it still says running or
// stopping, whatever its supervised program last did (a supervisor killed while it waited
// to restart its program, or after it did, went without stopping; the program's earlier
// exit is no end of the run); else its LastExit, which for a start called off says how; else
// "stopped" if it is marked stopped; else "" (an empty record).
func EndedHow(rec Record) string {
	switch {
	case rec.GoesOn() && !rec.CalledOffStart():
		return gone
	case rec.LastExit != "":
		return rec.LastExit
	case rec.State == StateStopped:
		return "stopped"
	}
	return ""
}

// RunRecord is Record when it is the record of the run that State is about, else nil, so
// that nothing an earlier run recorded is shown as the current one's: nil while the
// instance is starting (its run writes its record once ready; one there is an earlier
// run's), and for a stale pidfile that the record does not name (see OfStalePidfile).
func (e Entry) RunRecord() *Record {
	switch {
	case e.Record == nil, e.Status.Starting:
		return nil
	case e.Err == nil && !e.Status.Running() && e.Status.Pidfile.State == pidfile.Stale && !OfStalePidfile(*e.Record, e.Status.Pidfile):
		return nil
	}
	return e.Record
}

// OfStalePidfile reports whether rec is the record of the run that left the stale pidfile
// st: st holds a pid, and rec names it. A run killed before it was ready left no record,
// and the one there is an earlier run's; so may be one beside a file that is not a pidfile
// or holds no pid, which nothing ties to a run.
func OfStalePidfile(rec Record, st pidfile.Status) bool {
	return !st.Foreign && st.ContentErr == nil && st.FilePID > 0 && rec.PID == st.FilePID
}

// Names returns the names of the instances in the state directory dir, sorted: every name
// that has a <name>.json record or a <name>.pid pidfile there, or a <name>.starting start
// lock that a start under way holds (see BeginStart), and is valid (ValidateName).
// Anything else (other files, directories, hidden or temporary files) is ignored, and so is
// a missing directory, which holds none. So is the pidfile of another instance, given
// alone, which is no instance of its own (leaveOutOthersPIDFiles). Nothing is opened but
// the directory, the start lock of a name that has nothing else, and, where a record-less
// name's pidfile is held, that name's start lock and the directory's records.
//
// Where the directory holds no instance (it is missing, not a directory, or has none of
// those files, whatever else it holds), the names whose pidfiles, deleted from it, a
// daemon still holds the lock of are its instances (namesByLock): the daemons of a state
// directory deleted that they could not make again (or not yet), as status and stop find
// them (proven). A directory that holds an instance is not looked at so: the look costs a
// read of /proc/locks, and its daemons put back what was deleted of theirs at their next
// look (a second later, or never where they may not write there: a limit of list's).
func Names(dir string) ([]string, error) {
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		if names := namesByLock(dir); len(names) > 0 {
			return names, nil
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	names := make([]string, 0, len(des))
	seen := make(map[string]bool, len(des))
	var starting []string // names with a start lock
	recorded := make(map[string]bool, len(des))
	for _, de := range des {
		if de.IsDir() {
			continue
		}
		name, role, ok := FileName(de.Name())
		if !ok || ValidateName(name) != nil {
			continue
		}
		switch role {
		case "control socket": // beside a pidfile, which names the instance
			continue
		case "start lock":
			starting = append(starting, name)
			continue
		case "record":
			recorded[name] = true
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		names = append(names, name)
	}
	names = leaveOutOthersPIDFiles(dir, names, recorded)
	for _, name := range starting { // a name being started for the first time
		if st, _ := pidfile.Probe(filepath.Join(dir, name+".starting")); !seen[name] && st.State == pidfile.Running {
			seen[name] = true
			names = append(names, name)
		}
	}
	if len(names) == 0 { // made again since it was deleted, or not
		return namesByLock(dir), nil
	}
	sort.Strings(names)
	return names, nil
}

// deletedLockHolders is proc.DeletedLockHolders; a test counts its calls.
var deletedLockHolders = proc.DeletedLockHolders

// namesByLock returns, sorted, the names whose pidfiles in dir were deleted and are still
// locked by a process they name (proc.DeletedLockHolders): a daemon whose pidfile and
// record went with dir. Each is proven again when it is inspected (provenByLock). It
// reads /proc/locks once, which can wait for an RCU grace period (up to tens of ms).
func namesByLock(dir string) []string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	var names []string
	for file := range deletedLockHolders(abs) {
		if name, role, ok := FileName(file); ok && role == "pidfile" && ValidateName(name) == nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// leaveOutOthersPIDFiles leaves out of names, dir's, each that has no record (recorded)
// and is another instance's pidfile given alone (--name web --pidfile /run/app.pid keeps
// web's record, web.json, beside app.pid): its lock is held, no start of its own name
// holds its start lock, and exactly one record beside it proves another instance's daemon
// the holder, as PIDFileOwner proves it. That instance has its own name; this one would be
// a phantom, "starting" with its pid, that stop --all would stop twice. The records are
// read only when such a pidfile is held, each once, so the cost stays linear in the
// directory's files: a first start under way, the common record-less name, holds its start
// lock and reads none.
func leaveOutOthersPIDFiles(dir string, names []string, recorded map[string]bool) []string {
	if len(recorded) == 0 {
		return names
	}
	held := make(map[string]int) // a record-less name whose pidfile is held: its holder
	for _, name := range names {
		if recorded[name] {
			continue
		}
		st, err := pidfile.Probe(filepath.Join(dir, name+".pid"))
		if err != nil || st.State != pidfile.Running || st.PID <= 0 {
			continue
		}
		if start, _ := pidfile.Probe(filepath.Join(dir, name+".starting")); start.State == pidfile.Running {
			continue // its own start is under way
		}
		held[name] = st.PID
	}
	if len(held) == 0 {
		return names
	}
	owners := make(map[string]int, len(held)) // how many records prove each one's holder
	for owner := range recorded {
		rec, err := ReadRecord(filepath.Join(dir, owner+".json"))
		if err != nil {
			continue
		}
		name, ok := strings.CutSuffix(filepath.Base(rec.PIDFile), ".pid")
		pid, isHeld := held[name]
		if !ok || !isHeld || name == owner {
			continue
		}
		if rec.isFor(Paths{Name: owner, PIDFile: filepath.Join(dir, name+".pid")}) && rec.names(pid) {
			owners[name]++
		}
	}
	return slices.DeleteFunc(names, func(name string) bool { return owners[name] == 1 })
}

// List returns every instance of l.StateDir (see Names), sorted by name, each inspected as
// Inspect does, with its record when this user wrote it. An instance whose state cannot
// be told is listed with Err set, never left out. The error is only for a state directory
// that cannot be read. It changes nothing on disk, and its cost grows linearly with the
// number of instances: a few file reads each.
func List(l Layout) ([]Entry, error) {
	names, err := Names(l.StateDir)
	if err != nil {
		return nil, err
	}
	entries := make([]Entry, 0, len(names))
	for _, name := range names {
		p, err := l.resolve(name, "", "") // a listed name is its files' own: no check of its case
		if err != nil {
			return nil, fmt.Errorf("list instances: %w", err)
		}
		entries = append(entries, inspectEntry(p))
	}
	return entries, nil
}

// inspectEntry inspects the instance at p for List.
func inspectEntry(p Paths) Entry {
	st, rec, recErr, err := InspectLastRun(p)
	if rec != nil {
		if at, ok := AtRecordedPIDFile(p, *rec); ok { // an older daemonkit's --pidfile STATE/web.lock
			p = at
			st, err = Inspect(at)
			rec = nil
		}
	}
	e := Entry{Paths: p, Status: st, Err: err, Record: st.Record, RecordErr: st.RecordErr}
	switch {
	case rec != nil || recErr != nil: // not running: its last run's, read after the look
		e.Record, e.RecordErr = rec, recErr
	case e.Record == nil && (err != nil || !st.Running()): // a running one's is Status.Record
		r, err := ReadRecord(p.Record)
		switch {
		case err == nil:
			e.Record = &r
		case !errors.Is(err, fs.ErrNotExist):
			e.RecordErr = err
		}
	}
	if e.Record != nil && e.Record.Log != "" {
		e.Paths.Log = e.Record.Log
	}
	return e
}

// lastRunLooks bounds how often InspectLastRun looks at an instance: a start that gets
// ready between every look and read is one a look a moment later finds running.
const lastRunLooks = 3

// testHookBeforeLastRecord, when set by a test, runs when InspectLastRun has found the
// instance neither running nor starting, before it reads its record.
var testHookBeforeLastRecord func()

// InspectLastRun is Inspect, with, for an instance that is neither running nor starting,
// the record of its last run, read after that look: nil, with recErr nil, when there is
// none; recErr when it cannot be read (another user's, not a record). A record that says
// its run goes on (running or stopping) beside a pidfile nobody holds is either a daemon
// that went without stopping or a start (or restart) that got ready between the look and
// the read, whose daemon wrote it: the instance is looked at again then, up to three
// times in all, so that a start under way is never told as a run that crashed, nor its
// processes as ones a crashed run left. For a running or starting instance rec and recErr
// are nil: Status.Record is the running daemon's.
func InspectLastRun(p Paths) (st Status, rec *Record, recErr, err error) {
	for look := 1; ; look++ {
		st, err = Inspect(p)
		if err != nil || st.Running() || st.Starting {
			return st, nil, nil, err
		}
		if testHookBeforeLastRecord != nil {
			testHookBeforeLastRecord()
		}
		r, rerr := ReadRecord(p.Record)
		switch {
		case errors.Is(rerr, fs.ErrNotExist):
			return st, nil, nil, nil
		case rerr != nil:
			return st, nil, rerr, nil
		case !r.GoesOn() || look == lastRunLooks:
			return st, &r, nil, nil
		}
	}
}

// AtRecordedPIDFile is p with the pidfile rec, the instance's record, names instead of
// p's, when that is another file in the same directory and a daemon of the instance holds
// it, proven by that record (the name's, naming that pidfile and its holder): a daemon an
// older daemonkit started with --pidfile STATE/web.lock. Otherwise p, and false. Commands
// that act on a named instance, list and --all follow it there alike.
func AtRecordedPIDFile(p Paths, rec Record) (Paths, bool) {
	if rec.Name != p.Name || rec.PIDFile == "" || rec.PIDFile == p.PIDFile || filepath.Dir(rec.PIDFile) != filepath.Dir(p.PIDFile) {
		return p, false
	}
	at := p
	at.PIDFile = rec.PIDFile
	st, err := Inspect(at)
	if err != nil || !st.Running() || st.Record == nil || st.Record.Name != at.Name || st.Record.PIDFile != at.PIDFile {
		return p, false
	}
	return at, true
}
