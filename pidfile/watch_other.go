//go:build !linux

package pidfile

import (
	"errors"
	"io/fs"
)

// Watcher is Linux's inotify watch of a pidfile's directory; elsewhere there is none, and
// a daemon polls.
type Watcher struct{}

// Watch returns an error wrapping errors.ErrUnsupported: poll instead.
func (f *File) Watch(beside ...string) (*Watcher, error) {
	return nil, &fs.PathError{Op: "watch pidfile", Path: f.path, Err: errors.ErrUnsupported}
}

// Changes is nil: it never receives.
func (w *Watcher) Changes() <-chan struct{} { return nil }

// Rearm does nothing.
func (w *Watcher) Rearm() error { return nil }

// WatchBeside does nothing.
func (w *Watcher) WatchBeside() error { return nil }

// CloseAsync does nothing, and returns a function that does nothing.
func (w *Watcher) CloseAsync() func() error { return func() error { return nil } }

// Close does nothing.
func (w *Watcher) Close() error { return nil }
