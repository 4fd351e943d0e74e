// Package inotify is an inotify instance that says when something it watches may have
// changed: one wake for any number of events since the last, which the caller answers by
// looking again (a pidfile's path, a log it follows). It is Linux's; elsewhere New fails,
// and the callers poll.
package inotify

import (
	"bytes"
	"os"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Event is one inotify event: the watch it is about, what happened, and for a watched
// directory the name of the file it happened to ("" for the directory itself).
type Event struct {
	WD   int32
	Mask uint32
	Name []byte
}

// Instance is an inotify instance. Its zero value is not usable: make one with New.
type Instance struct {
	fd      int      // for adding watches (file.Fd would make it blocking)
	file    *os.File // the same, read through the runtime's poller
	c       chan struct{}
	done    chan struct{}
	started atomic.Bool

	mu  sync.Mutex
	wds map[int32]struct{} // the watches added and not removed, by Remove or the kernel

	unwatchOnce sync.Once // CloseAsync removed every watch
	closeOnce   sync.Once // CloseAsync's function closed the instance
	closeErr    error
}

// New makes an instance that watches nothing yet; Start begins reading its events.
func New() (*Instance, error) {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return &Instance{fd: fd, file: os.NewFile(uintptr(fd), "inotify"),
		c: make(chan struct{}, 1), done: make(chan struct{}), wds: map[int32]struct{}{}}, nil
}

// Add watches path for the events of mask (adding what is watched already changes the
// mask of the same watch), and returns the watch's descriptor.
func (in *Instance) Add(path string, mask uint32) (int32, error) {
	wd, err := unix.InotifyAddWatch(in.fd, path, mask)
	if err == nil {
		in.mu.Lock()
		in.wds[int32(wd)] = struct{}{}
		in.mu.Unlock()
	}
	return int32(wd), err
}

// Remove stops the watch wd.
func (in *Instance) Remove(wd int32) {
	in.forget(wd)
	_, _ = unix.InotifyRmWatch(in.fd, uint32(wd))
}

// forget drops wd from the watches the instance holds.
func (in *Instance) forget(wd int32) {
	in.mu.Lock()
	delete(in.wds, wd)
	in.mu.Unlock()
}

// removeAll stops every watch the instance holds.
func (in *Instance) removeAll() {
	in.mu.Lock()
	wds := in.wds
	in.wds = map[int32]struct{}{}
	in.mu.Unlock()
	for wd := range wds {
		_, _ = unix.InotifyRmWatch(in.fd, uint32(wd)) // EINVAL: the kernel removed it already
	}
}

// Queued is how many bytes of events wait to be read: what the kernel queued for the
// watches so far, when Start has not been called.
func (in *Instance) Queued() (int, error) { return unix.IoctlGetInt(in.fd, unix.TIOCINQ) }

// Start reads the events until Close, and makes Changes receive once for any number of
// batches that hold an event keep reports true for (every batch, if keep is nil). keep
// runs on the reader's goroutine.
func (in *Instance) Start(keep func(Event) bool) {
	in.started.Store(true)
	go in.read(keep)
}

// Changes receives once for any number of changes since the last receive.
func (in *Instance) Changes() <-chan struct{} { return in.c }

// CloseAsync stops every watch at once and returns a function that closes the instance
// (Close, once however often it is called) and returns Close's error; called again,
// CloseAsync removes nothing more. The kernel's release of an instance that still holds
// watches waits for a grace period (an SRCU synchronize: 0.2 to 20 ms on a busy 2-core
// VM), and a process's exit waits for it too, and a stop for the exit. Watches removed
// first are released by the kernel on its own, and a close a millisecond or more later
// waits for nothing (docs/performance.md, 2026-11-27): a caller about to exit calls
// CloseAsync as its last steps begin, and the function at their end. Not with Close.
func (in *Instance) CloseAsync() func() error {
	in.unwatchOnce.Do(in.removeAll)
	return func() error {
		in.closeOnce.Do(func() { in.closeErr = in.Close() })
		return in.closeErr
	}
}

// Close stops watching, and returns once the reader, if started, has ended.
func (in *Instance) Close() error {
	err := in.file.Close()
	if in.started.Load() {
		<-in.done
	}
	return err
}

func (in *Instance) read(keep func(Event) bool) {
	defer close(in.done)
	buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
	for {
		n, err := in.file.Read(buf)
		if err != nil {
			return // closed
		}
		in.forgetIgnored(buf[:n])
		if keep == nil || anyKept(buf[:n], keep) {
			select {
			case in.c <- struct{}{}:
			default: // one pending receive stands for them all
			}
		}
	}
}

// forgetIgnored drops the watches that events say the kernel removed (IN_IGNORED: their
// file is gone), so that the instance holds only live ones.
func (in *Instance) forgetIgnored(events []byte) {
	anyKept(events, func(ev Event) bool {
		if ev.Mask&unix.IN_IGNORED != 0 {
			in.forget(ev.WD)
		}
		return false
	})
}

// anyKept reports whether keep reports true for one of events, and calls it on each.
func anyKept(events []byte, keep func(Event) bool) bool {
	kept := false
	for len(events) >= unix.SizeofInotifyEvent {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&events[0]))
		end := unix.SizeofInotifyEvent + int(ev.Len)
		if end > len(events) {
			return true // cannot happen: the kernel returns whole events
		}
		name := bytes.TrimRight(events[unix.SizeofInotifyEvent:end], "\x00")
		if keep(Event{WD: ev.Wd, Mask: ev.Mask, Name: name}) {
			kept = true
		}
		events = events[end:]
	}
	return kept
}
