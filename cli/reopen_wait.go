package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/daemonkit/daemonkit/internal/proc"
)

// reopenWait bounds how long reopen waits for the daemon to write to the log at its path.
// A daemon reopens within milliseconds of its signal; one stopped by a signal, or behind a
// frozen disk, does not.
var reopenWait = 5 * time.Second

// reopenState is what awaitReopened found.
type reopenState int

const (
	reopenDone        reopenState = iota // the daemon writes to the file at the path (writesTo)
	reopenUnknown                        // they cannot be looked at (not Linux, another user's daemon, gone)
	reopenLate                           // the bound passed with the daemon still writing elsewhere
	reopenFailed                         // the daemon recorded that its reopen failed (failed says why)
	reopenInterrupted                    // ctx ended first (Ctrl-C, SIGTERM): the daemon may reopen still
	reopenGone                           // the daemon ended first (a stop or a restart meanwhile)
)

// awaitReopened waits, up to within, until daemon pid writes its log (its own descriptor
// logFD, or 1 and 2 for a daemon that has none: writesTo) to the file now at path: once
// reopen returns, logrotate compresses or deletes the file it moved away (compress without
// delaycompress), and a line written there after that is lost. failed, polled meanwhile, says why the daemon's reopen failed, once it has
// recorded that ("" until then): the wait then ends at once, with reopenFailed. A ctx that
// ends first ends it with reopenInterrupted, and a daemon that ends first (a zombie, or
// its pid gone or another process's: startTime, if not 0, is the daemon's) with reopenGone.
func awaitReopened(ctx context.Context, pid int, startTime uint64, logFD int, path string, within time.Duration, failed func() string) reopenState {
	deadline := time.Now().Add(within)
	pause := time.Millisecond
	for {
		switch done, known := writesTo(pid, logFD, path); {
		case !known:
			return reopenUnknown
		case done:
			return reopenDone
		}
		if failed() != "" {
			return reopenFailed
		}
		if ctx.Err() != nil {
			return reopenInterrupted
		}
		if ended(pid, startTime) {
			return reopenGone
		}
		if time.Now().After(deadline) || stoppedBySignal(pid) {
			return reopenLate // a stopped daemon reopens once continued: not waited for
		}
		time.Sleep(pause) // a condition polled with a deadline: nothing tells of a dup2
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// writesTo reports whether the daemon pid writes its log to the file at path (the same
// device and inode): its own descriptor of its log, logFD (Record.LogFD), which its reopen
// makes the log last, after 1 and 2 (once it names the file, so do they, but for a 1 or 2
// that the work closed, whose number names a file of its own now, which a reopen leaves
// as it is); for a daemon that has none (logFD 0, an older build's), its descriptors 1 and
// 2. known says whether that could be told at all: /proc/PID/fd is Linux's, and the
// daemon's owner's (or root's) to look at. A path not there yet (logrotate moved it,
// without create), or not reachable (a file now where its directory was), is not the
// daemon's file yet: the wait goes on, and says so once it is over.
func writesTo(pid, logFD int, path string) (done, known bool) {
	at, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return false, true
	}
	if err != nil {
		return false, false
	}
	if logFD > 2 {
		return ownLogFD(pid, logFD, at)
	}
	for _, fd := range []int{1, 2} {
		open, err := os.Stat(fmt.Sprintf("/proc/%d/fd/%d", pid, fd))
		if err != nil {
			return false, false
		}
		if !os.SameFile(at, open) {
			return false, true
		}
	}
	return true, true
}

// ownLogFD reports whether pid's descriptor logFD, the daemon's own of its log
// (Record.LogFD: logfile.HoldDescriptors), which its reopen makes the log last, after 1
// and 2, is the file at; never for a daemon that has none (logFD 0). known is false when
// pid's descriptors cannot be looked at (off Linux, another user's daemon).
func ownLogFD(pid, logFD int, at fs.FileInfo) (found, known bool) {
	if logFD <= 2 {
		return false, true
	}
	open, err := os.Stat(fmt.Sprintf("/proc/%d/fd/%d", pid, logFD))
	switch {
	case err == nil:
		return os.SameFile(at, open), true
	case errors.Is(err, fs.ErrNotExist):
		return false, true
	}
	return false, false
}

// ended reports whether the process pid (that started at startTime, if not 0) has ended:
// it is a zombie, or its pid names no process or another one. A pid that cannot be looked
// at has not, as far as can be told.
func ended(pid int, startTime uint64) bool {
	st, err := proc.ReadStat(pid)
	if err != nil {
		return errors.Is(err, fs.ErrNotExist)
	}
	return st.Zombie() || startTime != 0 && st.StartTime != startTime
}

// stoppedBySignal reports whether pid is stopped (SIGSTOP, SIGTSTP), as far as can be told.
func stoppedBySignal(pid int) bool {
	st, err := proc.ReadStat(pid)
	return err == nil && st.Stopped()
}

// lateReopen says why the daemon pid, asked to reopen its log at path, still writes to
// the file it had once the wait is over; status is the command line that shows the
// instance's status (App.commandFor's: this program's name, its --name and --state-dir).
func lateReopen(name string, pid int, path, status string) string {
	if stoppedBySignal(pid) {
		return fmt.Sprintf("%s (pid %d) is stopped by a signal (SIGSTOP, Ctrl-Z), and still writes to the file it had, not to %s: it reopens once continued ('kill -CONT %d'); until then its lines go on into the file that was moved", name, pid, showPath(path), pid)
	}
	return fmt.Sprintf("%s (pid %d) still writes to the file it had, not to %s, %v after it was asked: its reopen failed ('%s' says why), or its log's disk is frozen; until then its lines go on into the file that was moved", name, pid, showPath(path), reopenWait, status)
}
