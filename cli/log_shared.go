package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/daemonkit/daemonkit/instance"
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

// claimLog takes the claim of p's log in stateDir (see instance.ClaimLog), for a start of
// the instance at p, waiting at most within for another start with that log. It is exit 1
// when another instance, of any name, runs and writes that log, naming it and fix, what
// to do; or when the other start has not ended within. The claim, held, is to be
// released once the daemon is ready or has failed; nil for a log that is no file
// (/dev/null).
func claimLog(ctx context.Context, stateDir string, p instance.Paths, within time.Duration, fix string) (*instance.LogClaim, error) {
	claim, w, err := instance.ClaimLog(ctx, stateDir, p, within)
	switch {
	case errors.Is(err, instance.ErrLogClaimBusy):
		return nil, withCode(exitFailed, fmt.Errorf("the log %s: %w, and has not ended after %v: %s", p.Log, err, within, fix))
	case err != nil:
		return nil, withCode(exitFailed, fmt.Errorf("the log %s: %w", p.Log, err))
	case w != nil:
		return nil, withCode(exitFailed, fmt.Errorf("the log %s is instance %s's, which runs (pid %d, pidfile %s) and writes it: %s, with its pidfile %s, would mix its lines into it: %s",
			p.Log, w.Name, w.PID, w.PIDFile, p.Name, p.PIDFile, fix))
	}
	return claim, nil
}
