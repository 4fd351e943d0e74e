package cli

import (
	"errors"
	"io/fs"
	"os"
	"strings"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/launcher"
	"github.com/daemonkit/daemonkit/logfile"
)

// recordFailedStart records, for status and list, a start of req that failed once its
// daemon ran (why, the launcher's error), when the daemon did not record it itself: the
// launcher killed it for not being ready in time, or it died before it could (SIGKILL, the
// OOM killer), or a stop called the start off and it was killed during its drain (that is
// recorded stopped, "start called off: ...", not failed). The record of the earlier run
// then says the last start failed, and why, where it told that run's end as the last news,
// and keeps this start, as the daemon would have, so that restart tries it again; the
// daemon's own record of a failed start (which it writes when its work fails) is left as
// it is, and so is an instance that never ran, which keeps no record, as a mistyped start
// leaves nothing. The log gets the reason too, where it is there to take it, as the
// daemon's own failure would have put it there.
// Call it with the start lock held and the daemon gone; ranBefore says whether a record
// was there before the daemon was launched, and beforePID which pid it named (0: none);
// claim is the start's log claim, held (see forgetNeverRan).
// It returns the error start reports: why, or, for a daemon a stop killed with SIGKILL
// having said in its record that it called the start off, what that record says
// ("start web: stopped by SIGKILL before it was ready"), so that the two agree. (A start called off whose daemon was killed
// in its drain, of an instance that never ran, leaves none: the daemon's own record that
// it was stopping goes, as the daemon would have removed it.)
func recordFailedStart(req *request, claim *instance.LogClaim, invocation string, ranBefore bool, beforePID int, why error) error {
	if !ranBefore {
		defer forgetNeverRan(req, claim)
	}
	calledOff := errors.Is(why, launcher.ErrStopped)
	if !errors.Is(why, launcher.ErrNotReady) && !errors.Is(why, launcher.ErrExited) && !calledOff {
		return why // nothing ran that could have been recorded
	}
	reason := failureReason(req.Name, why)
	if rec, err := instance.ReadRecord(req.Record); !calledOff && err == nil && rec.CalledOffStart() && rec.PID > 0 && rec.PID != beforePID {
		// A stop killed the daemon with SIGKILL (stop --signal KILL), and said so in its
		// record first, as the daemon could not: a start called off, not a failed one. (The
		// record names this daemon, not the earlier run: under the start lock nothing else
		// writes it. The stop may have cleared its invocation since, having killed all.)
		calledOff, reason = true, strings.TrimPrefix(rec.LastExit, instance.StartCalledOff)
		why = &calledOffError{name: req.Name, why: reason}
	}
	if calledOff && !ranBefore {
		// Under the start lock, no record was there before this daemon: what is there now
		// is its own (a stop that waited for it may have marked it stopped since).
		_ = os.Remove(req.Record)
		return why
	}
	sent, env, sentErr := req.sent() // before the record's lock: it reads env files
	written := false
	_ = instance.UpdateRecord(req.Record, func(rec *instance.Record, err error) (bool, error) { // informative: the start fails anyway
		if err != nil || rec.Name == "" || (rec.Invocation == invocation && !calledOff) {
			// None, not ours to write over, or the daemon's own record of this start. (One
			// called off that ended without its last word wrote only that it was stopping.)
			return false, nil
		}
		if calledOff {
			rec.CalledOff(reason)
		} else {
			rec.FailedStart(reason)
		}
		if sentErr == nil {
			// what the daemon would have recorded of this start: restart tries it again
			rec.Program, rec.Strategy, rec.Log, rec.Command = sent.Program, sent.Strategy, sent.Log, sent.command()
			rec.Request = sent.recordedRequest(env)
		}
		written = true
		return true, nil
	})
	if written {
		logFailedStart(req, reason)
	}
	return why
}

// forgetNeverRan removes the record's lock (and what a writer killed mid-write left) of
// req's instance, which never ran, when its failed start left no record, and the files
// of its log's claim, held (nil: none; see instance.LogClaim.Forget): the daemon and this
// start took the lock to look for one, and a mistyped start leaves nothing, not even a
// hidden file that delete, finding no instance, would not remove. Call it under the
// start lock, with the daemon gone (or, in the foreground, once this process, the daemon,
// gave its pidfile up): nobody else writes the record then, or a writer that comes just
// after finds the lock file gone or makes it anew (see instance.RemoveRecordLock).
func forgetNeverRan(req *request, claim *instance.LogClaim) {
	if _, err := instance.ReadRecord(req.Record); errors.Is(err, fs.ErrNotExist) {
		instance.RemoveRecordTemps(req.Record)
		instance.RemoveRecordLock(req.Record)
		claim.Forget()
	}
}

// calledOffError is the error of a start whose daemon a stop killed with SIGKILL while it
// was starting, having said so in the daemon's record: "start web: stopped by SIGKILL
// before it was ready", as that record's last exit says it (after "start called off: "),
// and as start says it of a stop the daemon could answer. It matches launcher.ErrStopped.
type calledOffError struct{ name, why string }

func (e *calledOffError) Error() string { return "start " + e.name + ": " + e.why }

// Is makes errors.Is(err, launcher.ErrStopped) true.
func (e *calledOffError) Is(target error) bool { return target == launcher.ErrStopped }

// failureReason is the first line of a start's error, less the "start NAME: " its caller
// knows: the log's last lines that follow are the log's already.
func failureReason(name string, err error) string {
	line, _, _ := strings.Cut(err.Error(), "\n")
	return strings.TrimPrefix(line, "start "+name+": ")
}

// logFailedStart writes the daemon's "could not start" line into req's log, as the daemon
// writes it when it fails itself, if the log is there: a failed start removes a log it
// made and nothing wrote to, and none is made here. It is opened as the daemon opens it
// (logfile.OpenExisting): what was put in its place is left alone.
func logFailedStart(req *request, reason string) {
	f, err := logfile.OpenExisting(req.Log) // never through a symlink, nor blocked by a FIFO
	if err != nil {
		return
	}
	defer f.Close()
	newLogger(req.Program, "error", req.LogFormat, f).Error("could not start", "error", reason)
}
