//go:build !linux

package logfile

import "os"

// watcher is Linux's inotify watch of a log; elsewhere there is none, and Follow polls.
type watcher struct{}

// newWatcher returns nil: nothing is watched.
func newWatcher(string) *watcher { return nil }

// changed is nil: it never receives.
func (w *watcher) changed() <-chan struct{} { return nil }

// watchDir does nothing.
func (w *watcher) watchDir() {}

// watchFile does nothing.
func (w *watcher) watchFile(*os.File) {}

// close does nothing.
func (w *watcher) close() {}
