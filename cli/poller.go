package cli

import (
	"os"

	"github.com/daemonkit/daemonkit/internal/openfiles"
	"github.com/daemonkit/daemonkit/launcher"
)

// pollerFiles is how many descriptors startPoller needs free: the file it opens, and the
// runtime poller's epoll and eventfd.
const pollerFiles = 3

// filelessCommands open no file of their own: help (no command word), version, strategies
// and completion print what the binary holds, so even a limit too low for the poller does
// not stop them.
var filelessCommands = map[string]bool{"": true, "version": true, "strategies": true, "completion": true}

// startPollerFor is startPoller for the command word, and nil for a command that opens no
// file.
func startPollerFor(word string) error {
	if filelessCommands[word] {
		return nil
	}
	return startPoller()
}

// startPoller has the Go runtime make its poller (an epoll and an eventfd, which it makes at
// the first file the process opens through package os) now, while the descriptors for it
// are free. Made later, once a command's own descriptors (opened with raw system calls: its
// locks, /proc) have used up a low limit (ulimit -n 8), the runtime cannot make it and
// ends the process with a stack trace ("fatal error: runtime: eventfd failed") instead of
// the "too many open files" every other descriptor's failure says. When not even these
// descriptors are free it returns that error, naming the limit and how to raise it.
func startPoller() error {
	if _, err := openfiles.Free(pollerFiles); err != nil {
		return launcher.ExplainLimit(err)
	}
	f, err := os.Open(os.DevNull)
	if err != nil {
		return launcher.ExplainLimit(err)
	}
	return f.Close()
}
