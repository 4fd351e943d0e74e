package server

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// watchTerminal starts watching the terminal this process was started at: its controlling
// terminal, or else the first of its standard descriptors that is a terminal. nil if it
// has none.
func watchTerminal() *terminalWatch {
	fd, err := openTerminal()
	if err != nil {
		return nil
	}
	return newTerminalWatch(fd)
}

// newTerminalWatch watches the terminal fd, which it then owns; nil if it cannot.
func newTerminalWatch(fd int) *terminalWatch {
	r, w, err := os.Pipe()
	if err != nil {
		_ = unix.Close(fd)
		return nil
	}
	t := &terminalWatch{fd: fd, hungUp: make(chan struct{}), quit: w, foreground: foregroundNow,
		hungUpNow: terminalHungUp}
	go t.watch(r)
	return t
}

// openTerminal opens a descriptor of this process's own on its terminal: /dev/tty, else a
// duplicate of the first of descriptors 0 to 2 that is a terminal. It never makes a
// terminal the controlling one, nor waits for a carrier.
func openTerminal() (int, error) {
	fd, err := unix.Open("/dev/tty", unix.O_RDONLY|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err == nil {
		return fd, nil
	}
	for std := 0; std <= 2; std++ {
		if _, err := unix.IoctlGetTermios(std, unix.TCGETS); err == nil {
			return dupCloexec(std)
		}
	}
	return -1, errors.New("no terminal")
}

// watch waits, on a thread of its own, until the terminal hangs up (it records when) or
// the watch is closed; then it lets the terminal's descriptor go. It asks poll for no
// event: a hangup or an error is always reported, and input waiting is not. Meanwhile it
// looks every foregroundEvery whether this process is the terminal's foreground job.
func (t *terminalWatch) watch(quit *os.File) {
	defer quit.Close()
	fds := []unix.PollFd{{Fd: int32(t.fd)}, {Fd: int32(quit.Fd()), Events: unix.POLLIN}}
	for {
		t.sampleForeground()
		n, err := unix.Poll(fds, int(foregroundEvery/time.Millisecond))
		if errors.Is(err, unix.EINTR) || err == nil && n == 0 {
			continue
		}
		t.mu.Lock()
		if err == nil && fds[1].Revents == 0 && fds[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0 {
			t.markLocked()
		}
		_ = unix.Close(t.fd)
		t.fd = -1
		t.mu.Unlock()
		return
	}
}

// sampleForeground records when this process was last seen to be the terminal's
// foreground job.
func (t *terminalWatch) sampleForeground() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.foreground(t.fd) {
		t.foregroundAt = time.Now()
	}
}

// terminalHungUp reports whether the terminal fd has hung up, without waiting.
func terminalHungUp(fd int) bool {
	fds := []unix.PollFd{{Fd: int32(fd)}}
	for {
		n, err := unix.Poll(fds, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return err == nil && n > 0 && fds[0].Revents&(unix.POLLHUP|unix.POLLERR) != 0
	}
}

// dupCloexec duplicates fd, close-on-exec, at 3 or above.
func dupCloexec(fd int) (int, error) { return unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 3) }

// foregroundNow reports whether this process's group is the foreground group of the
// terminal fd (its job is the one the terminal's input and signals go to).
func foregroundNow(fd int) bool {
	if fd < 0 {
		return false
	}
	pgrp, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}
