package logfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Polling back-off of Follow: it waits minPoll after finding something new, and doubles
// the wait each time it finds nothing, up to maxPoll. Where it is woken by a change
// (inotify), the poll is a backstop only. Variables for tests.
var (
	minPoll = 10 * time.Millisecond
	maxPoll = 250 * time.Millisecond
)

// Test hooks, set by tests only: testHookIdle runs each time Follow finds nothing new and
// is about to wait; testHookRotated runs when Follow has seen another file with content at
// the path, before it reads the old file to its end.
var testHookIdle, testHookRotated func()

// Event is what Follow tells beside the lines it prints, as tail -F does on its stderr.
type Event int

const (
	// Waiting: there is no file at the path when Follow begins; it waits for one.
	Waiting Event = iota + 1
	// Appeared: the file Follow waited for is there; it prints it from its start.
	Appeared
	// Truncated: the file was truncated in place (logrotate's copytruncate); Follow reads
	// it again from its start.
	Truncated
)

// Message says e about the log at path as tail -F says it: "PATH: file truncated".
func (e Event) Message(path string) string {
	switch e {
	case Waiting:
		return path + ": no such file yet; waiting for it to appear"
	case Appeared:
		return path + " has appeared; following it"
	case Truncated:
		return path + ": file truncated"
	}
	return fmt.Sprintf("%s: event %d", path, int(e))
}

// FollowOptions are FollowWith's.
type FollowOptions struct {
	// Lines are the lines of the log printed first; Lines{N: 0} prints none.
	Lines Lines
	// Notify, if set, is told each Event as it happens, with the path; Waiting is told
	// once, if at all.
	Notify func(path string, e Event)
}

// Follow writes the last n lines of the log at path to w (all of it if n < 0, none if n is
// 0), then what is appended to it, until ctx is done: FollowWith with Lines{N: n}.
func Follow(ctx context.Context, path string, n int, w io.Writer) error {
	return FollowWith(ctx, path, w, FollowOptions{Lines: Lines{N: n}})
}

// FollowWith writes the lines of the log at path that o.Lines chooses to w, then what is
// appended to it, until ctx is done; it then returns nil. It follows the path by name, as
// tail -F does:
//
//   - when the file is renamed away and another appears at path (logrotate, then the
//     daemon reopens its log), it keeps reading the old file until the new one has
//     content, then reads the old one to its end and the new one from its start, so no
//     line is lost or printed twice; if the old file ended mid-line, a newline is added;
//   - a file truncated in place (copytruncate) is read again from its start, and
//     o.Notify is told (Truncated);
//   - a missing file is waited for (o.Notify is told: Waiting, then Appeared), and read
//     from its start when it appears; so is one that replaced the log but is not a
//     regular file, or cannot be read (a directory put at the path, a file created 0600
//     for another user), once Follow has begun.
//
// On Linux it wakes on each change of the file or of the path (inotify), so that what is
// written just before a copytruncate is read before the truncation, as tail -F does, and
// it polls as a backstop, every 10 ms doubling up to 250 ms while it finds nothing and every
// 250 ms after a wake that found something. Elsewhere, or without inotify, it polls only,
// waiting 10 ms after finding something new and up to 250 ms when idle. What is written in the instant between its wake and the truncation is
// lost, and a file rotated again, or truncated and written past where it was read, before
// it wakes, is not noticed, as with tail -F. It returns w's error as is if a write to w
// fails, and an *fs.PathError with Op "follow log" if the path names something other
// than a regular file, or cannot be read, when it begins.
func FollowWith(ctx context.Context, path string, w io.Writer, o FollowOptions) error {
	fl := &follower{path: path, w: w, lines: o.Lines, notify: o.Notify, lastNL: true,
		buf: make([]byte, 32<<10), watch: newWatcher(path)}
	defer fl.watch.close()
	defer fl.close()
	delay := minPoll
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-fl.watch.changed():
		}
		fl.watch.watchDir()
		fl.again = false
		progressed, err := fl.step()
		if err != nil {
			return err
		}
		var next time.Duration
		switch {
		case fl.again:
			// A file it has just left or found truncated: what was written since may have
			// had its event already, so it looks again at once.
			delay, next = minPoll, 0
		case progressed && fl.watch != nil:
			// Woken by a write: the file was watched before it was read, so a write after
			// the read has an event to come. The poll is a backstop only.
			delay, next = maxPoll, maxPoll
		case progressed:
			delay, next = minPoll, minPoll
		default:
			if testHookIdle != nil {
				testHookIdle()
			}
			delay = min(2*delay, maxPoll)
			next = delay
		}
		timer.Reset(next)
	}
}

// follower is the state of one Follow.
type follower struct {
	path    string
	w       io.Writer
	lines   Lines
	notify  func(path string, e Event) // nil: tell nothing
	watch   *watcher                   // nil: poll only
	f       *os.File                   // the file being read; nil when none is open
	ino     fileID                     // f's identity
	off     int64                      // the offset in f read up to
	started bool                       // open was called before: a file opened now is read from its start
	waiting bool                       // Waiting was told, and Appeared not yet
	lastNL  bool                       // nothing was written yet, or the last byte written was a newline
	again   bool                       // step left a file or found it truncated: look again at once
	buf     []byte
}

// fileID names a file independently of its path.
type fileID struct{ dev, ino uint64 }

func idOf(st *unix.Stat_t) fileID {
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)} // field types differ per OS
}

func (fl *follower) close() {
	if fl.f != nil {
		fl.f.Close()
		fl.f = nil
	}
}

// tell tells e, if anyone listens.
func (fl *follower) tell(e Event) {
	if fl.notify != nil {
		fl.notify(fl.path, e)
	}
}

func (fl *follower) fail(err error) error {
	return &fs.PathError{Op: "follow log", Path: fl.path, Err: err}
}

// step opens the file if none is open, copies what is new, and notices truncation and
// rotation. It reports whether it found anything new.
func (fl *follower) step() (bool, error) {
	if fl.f == nil {
		opened, err := fl.open()
		if err != nil || !opened {
			return false, err
		}
	}
	// Look at the path before reading: if another file with content is there, the daemon
	// has reopened its log, so the old file, once read to its end below, is finished. The
	// same file, none or an empty one at the path means the daemon may still write to the
	// old file.
	var pst unix.Stat_t
	rotated := unix.Lstat(fl.path, &pst) == nil && uint32(pst.Mode)&unix.S_IFMT == unix.S_IFREG &&
		idOf(&pst) != fl.ino && pst.Size > 0 // a directory or a FIFO put there is no new log
	if rotated && testHookRotated != nil {
		testHookRotated()
	}
	progressed, err := fl.copy()
	if err != nil {
		return progressed, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(fl.f.Fd()), &st); err != nil {
		return progressed, fl.fail(err)
	}
	if st.Size < fl.off { // truncated in place: start again
		fl.off, fl.again = 0, true
		fl.endLine()
		fl.tell(Truncated)
		return true, nil
	}
	if rotated {
		fl.close()
		fl.again = true
		fl.endLine()
		return true, nil
	}
	return progressed, nil
}

// open opens the file at path, watches it, and chooses where to start reading: where
// fl.lines says if Follow found it at its first attempt, at its start otherwise (it
// appeared later, or replaced the one read before). A missing file is no error: the first
// time, Follow tells it waits.
func (fl *follower) open() (bool, error) {
	first := !fl.started
	fl.started = true
	f, st, err := openRead(fl.path)
	if errors.Is(err, fs.ErrNotExist) {
		if first {
			fl.waiting = true
			fl.tell(Waiting)
		}
		return false, nil
	}
	if err != nil && !first && (errors.Is(err, ErrNotRegular) || errors.Is(err, ErrNotOwner) || errors.Is(err, fs.ErrPermission)) {
		return false, nil // what replaced the log is no log (yet): wait, as tail -F does
	}
	if err != nil {
		return false, fl.fail(err)
	}
	fl.f, fl.ino, fl.off = f, idOf(st), 0
	fl.watch.watchFile(f) // before reading: a write from now on wakes Follow
	if fl.waiting {
		fl.waiting = false
		fl.tell(Appeared)
	}
	if first {
		if fl.off, err = fl.lines.offset(f, st.Size); err != nil {
			return false, fl.fail(err)
		}
	}
	return true, nil
}

// copy writes what f holds past off to w, and reports whether there was anything.
func (fl *follower) copy() (bool, error) {
	progressed := false
	for {
		k, err := fl.f.ReadAt(fl.buf, fl.off)
		if k > 0 {
			progressed = true
			if _, err := fl.w.Write(fl.buf[:k]); err != nil {
				return true, err
			}
			fl.off += int64(k)
			fl.lastNL = fl.buf[k-1] == '\n'
		}
		if err == io.EOF {
			return progressed, nil
		}
		if err != nil {
			return progressed, fl.fail(err)
		}
	}
}

// endLine ends the line written last, if it was left unfinished by a file that ended
// mid-line, so that it is not glued to what the next file holds.
func (fl *follower) endLine() {
	if !fl.lastNL {
		fl.w.Write([]byte{'\n'}) // an error shows up on the next write
		fl.lastNL = true
	}
}

// lastLines returns the offset at which the last n lines of f (size bytes long) begin: 0
// for the whole file if n < 0, size if n is 0. An unfinished last line counts as a line.
func lastLines(f *os.File, size int64, n int) (int64, error) {
	if n < 0 || size == 0 {
		return 0, nil
	}
	if n == 0 {
		return size, nil
	}
	var last [1]byte
	if _, err := f.ReadAt(last[:], size-1); err != nil {
		return 0, err
	}
	want := n // newlines to find, from the end, before the lines wanted
	if last[0] == '\n' {
		want++ // the file's last newline ends the last line
	}
	buf := make([]byte, 8<<10)
	for end := size; end > 0; {
		start := max(0, end-int64(len(buf)))
		b := buf[:end-start]
		if _, err := f.ReadAt(b, start); err != nil {
			return 0, err
		}
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] == '\n' {
				if want--; want == 0 {
					return start + int64(i) + 1, nil
				}
			}
		}
		end = start
	}
	return 0, nil
}
