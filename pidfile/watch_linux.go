package pidfile

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/inotify"
)

// Watcher says when the path of a held pidfile may have stopped naming it, or it may no
// longer hold its pid: an inotify watch on the file held (through its descriptor, whatever
// the path names now), for its links changing (deleted, or replaced by a rename over it),
// it being moved, or its content written over by another process, and one on
// its directory, for the directory itself deleted or moved; and one on each file kept
// beside it that Watch names (a daemon's record), for it deleted, replaced or moved. None
// reports what happens to other files, so daemons that share a state directory do not
// wake each other. A daemon that checks its pidfile on these alone sleeps while nothing
// happens, where a poll wakes it every time. inotify does not see changes made through another machine
// (NFS), some FUSE filesystems, or a rename of a directory further up: keep a slow poll
// beside it. A nil *Watcher reports nothing.
type Watcher struct {
	f      *File
	in     *inotify.Instance
	beside []string // files kept beside the pidfile, watched by path (see Watch)
}

// What is watched: the held file's links and name (IN_ATTRIB covers its link count), and
// its content written over by another process (IN_CLOSE_WRITE: the daemon's own writes go
// through a descriptor it never closes); the directory's own name; a file beside it, for
// its links and name, by its path.
const (
	linkMask   = unix.IN_ATTRIB | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF
	fileMask   = linkMask | unix.IN_CLOSE_WRITE
	dirMask    = unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR
	besideMask = linkMask | unix.IN_DONT_FOLLOW
)

// Watch starts watching f's path, and the files at the paths beside (what a daemon keeps
// beside its pidfile and puts back when it is deleted: its record), each deleted, replaced
// or moved away, whichever file its path names at each Rearm (none, if none is there then).
// After each receive on Changes, check the file (Check, Restore) and those beside it, then
// call Rearm: the file held, the directory, a file beside may be a new one by then.
func (f *File) Watch(beside ...string) (*Watcher, error) {
	w, err := newWatcher(f, beside)
	if err != nil {
		return nil, err
	}
	w.in.Start(nil) // every event is about the held file or its directory
	return w, nil
}

// newWatcher is Watch without the reader.
func newWatcher(f *File, beside []string) (*Watcher, error) {
	in, err := inotify.New()
	if err != nil {
		return nil, &fs.PathError{Op: "watch pidfile", Path: f.path, Err: err}
	}
	w := &Watcher{f: f, in: in, beside: beside}
	if err := w.Rearm(); err != nil {
		_ = in.Close()
		return nil, err
	}
	return w, nil
}

// Changes receives once for any number of changes since the last receive. It is nil, and
// never receives, for a nil *Watcher.
func (w *Watcher) Changes() <-chan struct{} {
	if w == nil {
		return nil
	}
	return w.in.Changes()
}

// Rearm watches the file held now, which Restore may have changed, the directory the path
// names now, and the files beside it as their paths name them now (adding the same file or
// directory twice is one watch; a file beside that is not there, or cannot be watched, is
// not watched: the error is the pidfile's or its directory's). Not after Close.
func (w *Watcher) Rearm() error {
	if w == nil || w.in == nil {
		return nil
	}
	reg.mu.Lock()
	if w.f.released {
		reg.mu.Unlock()
		return nil
	}
	held := fmt.Sprintf("/proc/self/fd/%d", w.f.fd) // the held file, not what the path names
	_, err := w.in.Add(held, fileMask)
	reg.mu.Unlock()
	if err != nil {
		return &fs.PathError{Op: "watch pidfile", Path: w.f.path, Err: err}
	}
	dir := filepath.Dir(w.f.path)
	if _, err := w.in.Add(dir, dirMask); err != nil {
		return &fs.PathError{Op: "watch pidfile directory", Path: dir, Err: err}
	}
	_ = w.WatchBeside() // at best: a file beside not watched is found by the slow poll beside
	return nil
}

// WatchBeside watches the files beside the pidfile that Watch named, as their paths name
// them now (none that is not there), and not the rest, as Rearm does. A check of those files
// made after it misses nothing: what changes after it is reported.
func (w *Watcher) WatchBeside() error {
	if w == nil || w.in == nil {
		return nil
	}
	for _, path := range w.beside {
		if _, err := w.in.Add(path, besideMask); err != nil && !errors.Is(err, unix.ENOENT) {
			return &fs.PathError{Op: "watch file beside pidfile", Path: path, Err: err}
		}
	}
	return nil
}

// CloseAsync stops watching at once and returns a function that closes the watcher: a
// daemon calls it as its stop begins and the function at its end, so that the kernel
// releases the watches while the stop runs, rather than delay the daemon's exit (see
// inotify.Instance.CloseAsync). Called again, it stops nothing more. Not with Close.
func (w *Watcher) CloseAsync() func() error {
	if w == nil || w.in == nil {
		return func() error { return nil }
	}
	return w.in.CloseAsync()
}

// Close stops watching, and returns once the reader has ended.
func (w *Watcher) Close() error {
	if w == nil || w.in == nil {
		return nil
	}
	return w.in.Close()
}
