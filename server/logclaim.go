package server

import "github.com/daemonkit/daemonkit/logfile"

// claimLog claims the log the daemon writes (logfile.ClaimLog), once it holds its
// pidfile: a start of another instance that would write the same file sees the claim and
// is refused before it writes a line (see logfile.CheckUnclaimed), and a daemon that
// started meanwhile and claimed it first makes this one fail, rather than both mix their
// lines. Without a LogPath (the foreground's stderr) there is nothing to claim.
func (r *runner) claimLog() error {
	if r.opts.LogPath == "" {
		return nil
	}
	c, err := logfile.ClaimLog(r.opts.LogPath, 2)
	if err != nil {
		return err
	}
	r.logClaim = c
	return nil
}

// moveLogClaim claims the file a reopen put on descriptor 2 in place of the old one: the
// claim goes with the log to the new file logrotate's create made. A new file another
// daemon claims already is said in the log, and written to all the same.
func (r *runner) moveLogClaim() {
	if r.logClaim == nil {
		return
	}
	if err := r.logClaim.Move(r.opts.LogPath, 2); err != nil {
		r.log.Warn("the reopened log is claimed by another daemon: both write it", "error", err)
	}
}
