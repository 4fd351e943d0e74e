package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/logfile"
	"github.com/daemonkit/daemonkit/pidfile"
)

// logOfRunning is exit 1 when a start of the instance at paths, whose pidfile is in another
// directory than the state directory (--pidfile elsewhere: an instance of its own, as
// docs/pidfile.md has it), would write the log that the state directory's instance of the
// same name writes now: <log-dir>/<name>.log, by default, is both's. Two daemons would mix
// their lines in one file, logs of either would show the other's, and a reopen after
// logrotate moved it would leave the other writing the moved file. It names the daemon
// that writes the log, and fix, what to do; nil when nothing of the name runs there, or it
// writes another log.
func logOfRunning(paths instance.Paths, stateDir, fix string) error {
	own, err := (instance.Layout{StateDir: stateDir}).Resolve(paths.Name, "", "")
	if err != nil || sameDir(filepath.Dir(paths.PIDFile), filepath.Dir(own.PIDFile)) {
		return nil // the same instance: notRunning and the lock see to it
	}
	rec, err := instance.ReadRecord(own.Record)
	if err != nil || rec.Log == "" || resolvePath(rec.Log) != resolvePath(paths.Log) {
		return nil
	}
	if fi, err := os.Stat(paths.Log); err == nil && !fi.Mode().IsRegular() {
		return nil // /dev/null, a FIFO, a terminal: no file whose lines would mix
	}
	if at, ok := instance.AtRecordedPIDFile(own, rec); ok {
		own = at
	}
	st, err := instance.Inspect(own)
	if err != nil || !st.Running() {
		return nil
	}
	return withCode(exitFailed, fmt.Errorf("the log %s is instance %s's, which runs (pid %d, pidfile %s) and writes it: a second %s, with its pidfile %s, would mix its lines into it: %s",
		paths.Log, paths.Name, st.PID(), own.PIDFile, paths.Name, paths.PIDFile, fix))
}

// logClaimed is exit 1 when a daemon writes the log at path now: it holds the log's claim
// (logfile.CheckUnclaimed), as every daemon of this build does from the moment it holds
// its pidfile, wherever its pidfile and record are: the direction logOfRunning cannot
// see, a state directory's instance started after one of its name with --pidfile
// elsewhere. It asks the file alone, and nothing of other processes, but once refused:
// then it names the holder where the system can (logfile.ClaimHolder). When the holder is
// the instance's own daemon, the one of pidfile (a start that raced this one), it is
// startError's already running (exit 3) instead. fix is what to do. A log it cannot tell
// of (not a regular file, a file system without flock, a daemon of an older build) is
// nil, as it was before. Only a log named after the instance, NAME.log (the default's
// name), is asked of: a log of another name was given with --log, and daemons given one
// such log on purpose (workers sharing workers.log) write it together, as before.
func logClaimed(path, pidFile, name, fix string) error {
	if path == "" || filepath.Base(path) != name+".log" || logfile.CheckUnclaimed(path) == nil {
		return nil
	}
	if st, _ := pidfile.Probe(pidFile); st.State == pidfile.Running {
		return startError(name, &pidfile.LockedError{Path: pidFile, PID: st.PID})
	}
	who := "another daemon"
	if pid := logfile.ClaimHolder(path); pid > 0 {
		who = fmt.Sprintf("another daemon (pid %d)", pid)
	}
	return withCode(exitFailed, fmt.Errorf("the log %s is written by %s, which claims it: a second daemon would mix its lines into it: %s", path, who, fix))
}
