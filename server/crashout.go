package server

import (
	"os"
	"runtime/debug"
)

// keepCrashOutput makes the log, through a descriptor of the daemon's own, where the Go
// runtime writes a crash's trace (a panic in a goroutine of the work's, which only the
// runtime catches) once the work has taken descriptor 2, where the runtime writes it,
// for a file of its own (it closed os.Stderr, and opened a database), or closed it: the
// trace would go there, or nowhere, and the log would not say why the daemon ended. While 2
// is the log, none is set, as the trace would be in the log twice. It runs once the work is
// ready (a serve function closes what it does not use as it starts), after each reopen
// (the one set names the file logrotate moved away), and at each check of the pidfile.
// One at a time (the chores' goroutine and a reopen's call it): a look at the log's
// descriptor before a reopen must not set its output after the reopen's, which would leave
// the crash output on the file logrotate moved away until the next look.
func (r *runner) keepCrashOutput() {
	d := r.opts.LogDescriptors
	if d == nil {
		return
	}
	r.crashMu.Lock()
	defer r.crashMu.Unlock()
	if d.NamesLog(2) {
		if r.crashOut {
			debug.SetCrashOutput(nil, debug.CrashOptions{})
			r.crashOut = false
		}
		return
	}
	fd, err := d.Dup()
	if err != nil {
		return
	}
	f := os.NewFile(uintptr(fd), r.opts.LogPath)
	defer f.Close() // SetCrashOutput keeps a duplicate of its own
	if debug.SetCrashOutput(f, debug.CrashOptions{}) == nil {
		r.crashOut = true
	}
}
