package logfile

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// watcher wakes Follow when the log may have changed, through inotify: a watch on the
// file Follow reads (through its descriptor, wherever it was renamed to), for what is
// written to it and its truncation, and one on the path's directory, for a file created,
// moved, deleted or written at the path. Events about the directory's other files are
// dropped by its reader, so that Follow does not wake for a neighbour's log. inotify does
// not see changes made through another machine (NFS) or some FUSE filesystems: Follow
// polls beside it. A nil *watcher watches nothing.
type watcher struct {
	fd      int      // the inotify instance, for adding watches (file.Fd would make it blocking)
	file    *os.File // the same, for reading through the runtime's poller
	dir     string
	name    []byte       // the path's last element
	dirWD   atomic.Int32 // the directory's watch, -1 when none (not added yet, or gone)
	fileWD  int          // the watch on the file read, -1 when none; Follow's goroutine only
	changes chan struct{}
	done    chan struct{}
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
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil
	}
	w := &watcher{fd: fd, file: os.NewFile(uintptr(fd), "inotify"), dir: filepath.Dir(path),
		name: []byte(filepath.Base(path)), fileWD: -1,
		changes: make(chan struct{}, 1), done: make(chan struct{})}
	w.dirWD.Store(-1)
	w.watchDir()
	go w.read()
	return w
}

// changed receives once for any number of changes since the last receive; never for a
// nil *watcher.
func (w *watcher) changed() <-chan struct{} {
	if w == nil {
		return nil
	}
	return w.changes
}

// watchDir watches the path's directory if it is not watched: it may be missing yet, or
// have been replaced.
func (w *watcher) watchDir() {
	if w == nil || w.dirWD.Load() >= 0 {
		return
	}
	if wd, err := unix.InotifyAddWatch(w.fd, w.dir, watchDirMask); err == nil {
		w.dirWD.Store(int32(wd))
	}
}

// watchFile watches f, the file Follow reads now, instead of the one before. Call it
// before reading f: whatever is written after is reported.
func (w *watcher) watchFile(f *os.File) {
	if w == nil {
		return
	}
	wd, err := unix.InotifyAddWatch(w.fd, fmt.Sprintf("/proc/self/fd/%d", f.Fd()), watchFileMask)
	if err != nil {
		wd = -1 // no /proc: the directory's watch covers the file at the path, the poll the rest
	}
	if w.fileWD >= 0 && w.fileWD != wd { // the same file twice is one watch: keep it
		unix.InotifyRmWatch(w.fd, uint32(w.fileWD))
	}
	w.fileWD = wd
}

// close stops watching, and returns once the reader has ended.
func (w *watcher) close() {
	if w == nil {
		return
	}
	w.file.Close()
	<-w.done
}

// read sends on changes for every batch of events that has one about the file read, the
// path, or the directory itself, until close.
func (w *watcher) read() {
	defer close(w.done)
	buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
	for {
		n, err := w.file.Read(buf)
		if err != nil {
			return // closed
		}
		if w.relevant(buf[:n]) {
			select {
			case w.changes <- struct{}{}:
			default: // one pending receive stands for them all
			}
		}
	}
}

// relevant reports whether events has one that is not about another file of the
// directory; it forgets the directory's watch when the directory is gone.
func (w *watcher) relevant(events []byte) bool {
	found := false
	for len(events) >= unix.SizeofInotifyEvent {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&events[0]))
		end := unix.SizeofInotifyEvent + int(ev.Len)
		if end > len(events) {
			return true // cannot happen: the kernel returns whole events
		}
		name := bytes.TrimRight(events[unix.SizeofInotifyEvent:end], "\x00")
		dirWD := w.dirWD.Load()
		switch {
		case ev.Mask&unix.IN_Q_OVERFLOW != 0:
			found = true
		case ev.Wd == dirWD && ev.Mask&unix.IN_IGNORED != 0: // removed, or on another filesystem now
			w.dirWD.CompareAndSwap(dirWD, -1)
			found = true
		case ev.Wd == dirWD && len(name) > 0:
			found = found || bytes.Equal(name, w.name)
		default: // the file read, or the directory itself
			found = true
		}
		events = events[end:]
	}
	return found
}
