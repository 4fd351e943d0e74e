package logfile

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/inotify"
)

// watcher wakes Follow when the log may have changed, through inotify: a watch on the
// file Follow reads (through its descriptor, wherever it was renamed to), for what is
// written to it and its truncation, and one on the path's directory, for a file created,
// moved, deleted or written at the path. Events about the directory's other files are
// dropped by its reader, so that Follow does not wake for a neighbour's log. inotify does
// not see changes made through another machine (NFS) or some FUSE filesystems: Follow
// polls beside it. A nil *watcher watches nothing.
type watcher struct {
	in     *inotify.Instance
	dir    string
	name   []byte       // the path's last element
	dirWD  atomic.Int32 // the directory's watch, -1 when none (not added yet, or gone)
	fileWD int32        // the watch on the file read, -1 when none; Follow's goroutine only
}

// What is watched: anything that changes the file's content, and anything that changes
// what the path names or what that file holds.
const (
	watchFileMask = unix.IN_MODIFY
	watchDirMask  = unix.IN_MODIFY | unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_MOVED_FROM |
		unix.IN_DELETE | unix.IN_ATTRIB | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR
)

// newWatcher starts watching the directory of path, or returns nil if inotify cannot be
// had (too many instances): Follow then polls only.
func newWatcher(path string) *watcher {
	in, err := inotify.New()
	if err != nil {
		return nil
	}
	w := &watcher{in: in, dir: filepath.Dir(path), name: []byte(filepath.Base(path)), fileWD: -1}
	w.dirWD.Store(-1)
	w.watchDir()
	in.Start(w.relevant)
	return w
}

// changed receives once for any number of changes since the last receive; never for a
// nil *watcher.
func (w *watcher) changed() <-chan struct{} {
	if w == nil {
		return nil
	}
	return w.in.Changes()
}

// watchDir watches the path's directory if it is not watched: it may be missing yet, or
// have been replaced.
func (w *watcher) watchDir() {
	if w == nil || w.dirWD.Load() >= 0 {
		return
	}
	if wd, err := w.in.Add(w.dir, watchDirMask); err == nil {
		w.dirWD.Store(wd)
	}
}

// watchFile watches f, the file Follow reads now, instead of the one before. Call it
// before reading f: whatever is written after is reported.
func (w *watcher) watchFile(f *os.File) {
	if w == nil {
		return
	}
	wd, err := w.in.Add(fmt.Sprintf("/proc/self/fd/%d", f.Fd()), watchFileMask)
	if err != nil {
		wd = -1 // no /proc: the directory's watch covers the file at the path, the poll the rest
	}
	if w.fileWD >= 0 && w.fileWD != wd { // the same file twice is one watch: keep it
		w.in.Remove(w.fileWD)
	}
	w.fileWD = wd
}

// close stops watching, and returns once the reader has ended.
func (w *watcher) close() {
	if w == nil {
		return
	}
	_ = w.in.Close()
}

// relevant reports whether ev is not about another file of the directory; it forgets the
// directory's watch when the directory is gone. It runs on the reader's goroutine.
func (w *watcher) relevant(ev inotify.Event) bool {
	dirWD := w.dirWD.Load()
	switch {
	case ev.Mask&unix.IN_Q_OVERFLOW != 0:
		return true
	case ev.WD == dirWD && ev.Mask&unix.IN_IGNORED != 0: // removed, or on another filesystem now
		w.dirWD.CompareAndSwap(dirWD, -1)
		return true
	case ev.WD == dirWD && len(ev.Name) > 0:
		return bytes.Equal(ev.Name, w.name)
	}
	return true // the file read, or the directory itself
}
