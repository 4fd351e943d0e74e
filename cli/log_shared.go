package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/logfile"
)

// logOfRunning is exit 1 when a start of the instance at paths would write the log that
// another instance of the same name writes now, with its pidfile in another directory
// (--pidfile elsewhere: an instance of its own, as docs/pidfile.md has it): <log-dir>/
// <name>.log, by default, is both's. Two daemons would mix their lines in one file, logs
// of either would show the other's, and a reopen after logrotate moved it would leave the
// other writing the moved file. It names the daemon that writes the log, and fix, what to
// do; nil when nothing of the name writes it. It finds the state directory's instance by
// its record (logOfStateDir), and one elsewhere, started first, by the log's writer lock
// (logOfElsewhere).
func logOfRunning(paths instance.Paths, stateDir, fix string) error {
	if err := logOfStateDir(paths, stateDir, fix); err != nil {
		return err
	}
	return logOfElsewhere(paths, fix)
}

// logOfStateDir is logOfRunning's look at the state directory's instance of the name, for
// an instance at paths whose pidfile is elsewhere.
func logOfStateDir(paths instance.Paths, stateDir, fix string) error {
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
	return logShared(paths, st.PID(), own.PIDFile, fix)
}

// logOfElsewhere is logOfRunning's look for a daemon of the name, with its pidfile in
// another directory than the instance at paths, that holds the log as its writer (see
// logfile.InUse): one the state directory's record does not name, started first. Its
// writers are looked for only when the lock is held, and a process of the instance's own
// run (a restart's, which still runs) is not one; nor is a start of the instance under
// way, which a start joins, nor a process that holds no pidfile of the name (what a
// program started, which kept the log open).
func logOfElsewhere(paths instance.Paths, fix string) error {
	if !logfile.InUse(paths.Log) {
		return nil
	}
	own := 0
	if st, err := instance.Inspect(paths); err != nil || st.Starting {
		return nil
	} else if st.Running() {
		own = st.PID()
	}
	for _, pid := range logWriters(paths.Log) {
		if own > 0 && proc.DescendsFrom(pid, own) {
			continue
		}
		held, ok := heldPidfile(pid)
		if ok && filepath.Base(held) == paths.Name+".pid" && !sameDir(filepath.Dir(held), filepath.Dir(paths.PIDFile)) {
			return logShared(paths, pid, held, fix)
		}
	}
	return nil
}

// logShared is logOfRunning's error: the log of the instance at paths is written by the
// daemon pid of the same name, whose pidfile is pidFile.
func logShared(paths instance.Paths, pid int, pidFile, fix string) error {
	return withCode(exitFailed, fmt.Errorf("the log %s is instance %s's, which runs (pid %d, pidfile %s) and writes it: a second %s, with its pidfile %s, would mix its lines into it: %s",
		paths.Log, paths.Name, pid, pidFile, paths.Name, paths.PIDFile, fix))
}
