//go:build linux

package strategy

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"
)

// Executable returns the path that runs this binary again: /proc/self/exe, which names
// this very binary even if its file was replaced or removed since it started.
func Executable() (string, error) { return "/proc/self/exe", nil }

// closeOnExecFrom3 marks every descriptor from 3 up close-on-exec: close_range(2) with
// CLOSE_RANGE_CLOEXEC (Linux 5.11), else the list in /proc/self/fd, else every number.
func closeOnExecFrom3() {
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err == nil {
		return
	}
	if err := closeOnExecDir("/proc/self/fd"); err == nil {
		return
	}
	closeOnExecScan()
}

// subreaper counts the Launches in progress, which share the process-wide flag.
var subreaper struct {
	sync.Mutex
	users int
	set   bool // this package set the flag (it was not set before), so it clears it
}

// enterSubreaper makes this process a child subreaper (PR_SET_CHILD_SUBREAPER) until the
// returned function is called, unless it already was one: a re-exec daemon is then
// reparented to this process when the intermediate exits, and Launch can reap it and say
// how it died. Concurrent Launches share the flag; the last one out clears it.
func enterSubreaper(log hclog.Logger) (leave func()) {
	subreaper.Lock()
	defer subreaper.Unlock()
	if subreaper.users == 0 {
		var cur int32
		if err := unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&cur)), 0, 0, 0); err != nil {
			log.Debug("cannot tell whether this process is a subreaper", "error", err)
		} else if cur == 0 {
			if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
				log.Debug("cannot become a subreaper; a re-exec daemon's exit status will be unknown", "error", err)
			} else {
				subreaper.set = true
			}
		}
	}
	subreaper.users++
	var once sync.Once
	return func() {
		once.Do(func() {
			subreaper.Lock()
			defer subreaper.Unlock()
			subreaper.users--
			if subreaper.users == 0 && subreaper.set {
				if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0); err != nil {
					log.Debug("cannot stop being a subreaper", "error", err)
				}
				subreaper.set = false
			}
		})
	}
}

// reapOrphan reaps pid, a process that is gone and was reparented to this process (see
// enterSubreaper), and returns its wait status; false if it is not this process's child.
func reapOrphan(pid int) (syscall.WaitStatus, bool) {
	type result struct {
		ws syscall.WaitStatus
		ok bool
	}
	ch := make(chan result, 1)
	go func() {
		var ws syscall.WaitStatus
		for {
			got, err := syscall.Wait4(pid, &ws, 0, nil)
			if err == syscall.EINTR {
				continue
			}
			ch <- result{ws, err == nil && got == pid}
			return
		}
	}()
	select {
	case r := <-ch:
		return r.ws, r.ok
	case <-time.After(exitGrace):
		return 0, false // still running: not expected, since Launch waited for it to be gone
	}
}

// waitGroupGone waits, at most bound in all, until every process of process group g is
// gone (a zombie counts), and returns the pids it found in the group.
func waitGroupGone(g int, bound time.Duration) []int {
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pgrp, err := statGroup(pid); err != nil || pgrp != g {
			continue
		}
		pids = append(pids, pid)
		h, err := proc.Open(pid)
		if err != nil {
			continue // gone, or a zombie
		}
		// The handle is on whoever has the pid now: wait only if that is still a member.
		if pgrp, err := statGroup(pid); err == nil && pgrp == g {
			_ = h.Wait(ctx)
		}
		_ = h.Close()
	}
	return pids
}

// statGroup reads the process group of pid from /proc/PID/stat.
func statGroup(pid int) (int, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name may hold anything; the fields after its last ')' are
	// " state ppid pgrp ...".
	i := bytes.LastIndexByte(b, ')')
	f := bytes.Fields(b[i+1:])
	if i < 0 || len(f) < 3 || len(f[0]) != 1 {
		return 0, errors.New("malformed /proc/" + strconv.Itoa(pid) + "/stat")
	}
	return strconv.Atoi(string(f[2]))
}
