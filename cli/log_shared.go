package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/pidfile"
)

// logOfRunning is exit 1 when a start of the instance at paths would write the log that
// another running instance of the same name writes, with its pidfile in another directory
// (--pidfile elsewhere: an instance of its own, as docs/pidfile.md has it):
// <log-dir>/<name>.log, by default, is both's. Two daemons would mix their lines in one
// file, logs of either would show the other's, and a reopen after logrotate moved it
// would leave the other writing the moved file. It names the daemon that writes the log,
// and fix, what to do; nil when nothing of the name writes it. It finds the state
// directory's instance by its record (logOfStateDir), and one elsewhere, which may have
// started first, among the running daemons (logOfElsewhere).
func logOfRunning(paths instance.Paths, stateDir, fix string) error {
	if fi, err := os.Stat(paths.Log); err == nil && !fi.Mode().IsRegular() {
		return nil // /dev/null, a FIFO, a terminal: no file whose lines would mix
	}
	if err := logOfStateDir(paths, stateDir, fix); err != nil {
		return err
	}
	return logOfElsewhere(paths, stateDir, fix)
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
	if at, ok := instance.AtRecordedPIDFile(own, rec); ok {
		own = at
	}
	st, err := instance.Inspect(own)
	if err != nil || !st.Running() {
		return nil
	}
	return logShared(paths, st.PID(), own.PIDFile, fix)
}

// logOfElsewhere is logOfRunning's look for a running instance of the name whose pidfile
// is in another directory than paths' and the state directory, and whose record beside it
// names the log paths would write. It looks among the daemons (every one holds a POSIX
// lock on its pidfile) for those of the name, by their arguments ("_daemon NAME"), and at
// the names of the files they have open; it reads nothing but their records: a file open
// on a hung mount elsewhere on the host cannot hold a start up.
func logOfElsewhere(paths instance.Paths, stateDir, fix string) error {
	holders, ok := proc.POSIXLockHolders()
	if !ok {
		return nil
	}
	var skip []string // the directories of the kernel's names: symlinks resolved
	for _, dir := range []string{filepath.Dir(paths.PIDFile), stateDir} {
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			skip = append(skip, real)
		}
	}
	for _, pid := range holders {
		if args := proc.Args(pid); pid == os.Getpid() || len(args) < 3 || args[1] != daemonCommand || args[2] != paths.Name {
			continue
		}
		for _, pf := range proc.OpenPaths(pid) {
			if filepath.Ext(pf) != ".pid" || !filepath.IsAbs(pf) || slices.Contains(skip, filepath.Dir(pf)) {
				continue
			}
			rec, err := instance.ReadRecord(filepath.Join(filepath.Dir(pf), paths.Name+".json"))
			if err != nil || rec.Name != paths.Name || resolvePath(rec.PIDFile) != pf || rec.Log == "" || resolvePath(rec.Log) != resolvePath(paths.Log) {
				continue
			}
			if st, err := pidfile.Probe(pf); err == nil && st.State == pidfile.Running && st.PID == pid {
				return logShared(paths, pid, pf, fix)
			}
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
