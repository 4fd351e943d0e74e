package instance

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A foreground start at a terminal stops when its terminal hangs up, and the hangup comes
// as SIGHUP, which is also the reload signal: a SIGHUP within a moment of the hangup is
// taken for the hangup's. Nothing tells a signal's sender in Go, so reload marks the SIGHUP
// it sends to such a daemon: it writes the daemon's pid to a mark beside the record just
// before it signals, and the daemon, taking a SIGHUP, takes the mark (reads and removes
// it): a SIGHUP with a fresh mark naming it is a reload, never the hangup. There is one
// mark an instance at most, gone once taken, at the daemon's exit, and at delete; a mark
// older than ReloadMarkFresh counts for nothing, and so does one that neither the daemon's
// user nor root wrote (a pidfile directory such as /tmp lets others write a mark there).

// ReloadMarkFresh bounds how long a reload's mark counts: the time between reload writing
// it and the daemon taking the SIGHUP it sends at once after (the next system call). That
// is the time the daemon's loop takes to read a signal, which the hangup's own judgement
// (2s after the hangup) already counts on being short; a second more is for a loaded
// machine. A mark left by a reload killed between the two makes a real hangup look like a
// reload for no longer; a mark that takes longer is no worse than none: the SIGHUP is
// judged by its time.
const ReloadMarkFresh = 3 * time.Second

// ReloadMarkPath is the reload mark of the instance whose record is at record:
// .NAME.json.reload beside it, hidden as the record's lock is.
func ReloadMarkPath(record string) string {
	return filepath.Join(filepath.Dir(record), "."+filepath.Base(record)+".reload")
}

// MarkReload marks the SIGHUP about to be sent to the daemon pid, the instance's whose
// record is at record, as a reload's. It does what it can: a mark that cannot be written
// leaves the SIGHUP as it was, judged by its time. undo removes the mark, for a signal
// that was not sent.
func MarkReload(record string, pid int) (undo func()) {
	path := ReloadMarkPath(record)
	// A new file, never one already there: another user's (in /tmp) would not be ours to
	// write, and the daemon would refuse it.
	_ = os.Remove(path)
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0o600)
	if err != nil {
		return func() {}
	}
	f := os.NewFile(uintptr(fd), path)
	_, werr := f.WriteString(strconv.Itoa(pid) + "\n")
	if cerr := f.Close(); werr != nil || cerr != nil {
		_ = os.Remove(path)
		return func() {}
	}
	return func() { _ = os.Remove(path) }
}

// TakeReloadMark takes the reload mark of the instance whose record is at record, for the
// daemon pid, at now: it reports whether a mark was there, naming pid, written within
// ReloadMarkFresh of now, by this process's (effective) user or root, who alone may reload
// it, and with no other link, and removes any mark there, whatever it says.
func TakeReloadMark(record string, pid int, now time.Time) bool {
	path := ReloadMarkPath(record)
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	info, err := f.Stat() // before the remove, which takes a link
	_ = os.Remove(path)   // taken: it marks one SIGHUP at most
	if err != nil || !info.Mode().IsRegular() || !markTrusted(info) {
		return false
	}
	if age := now.Sub(info.ModTime()); age > ReloadMarkFresh || age < -ReloadMarkFresh {
		return false
	}
	b := make([]byte, 32)
	n, _ := f.Read(b)
	named, err := strconv.Atoi(strings.TrimSpace(string(b[:n])))
	return err == nil && named == pid
}

// RemoveReloadMark removes the reload mark of the instance whose record is at record, if
// one is there: at the daemon's exit, and at delete.
func RemoveReloadMark(record string) {
	_ = os.Remove(ReloadMarkPath(record))
}

// markTrusted reports whether the mark info describes was written by whoever may reload
// this process, its user or root: another user, who may write in a pidfile directory such
// as /tmp, could otherwise make a terminal's hangup look like a reload, and the daemon run
// on. A mark with another link is refused too: it may be another's file, linked there.
func markTrusted(info os.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	return (int(st.Uid) == os.Geteuid() || st.Uid == 0) && st.Nlink == 1
}
