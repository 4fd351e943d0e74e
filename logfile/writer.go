package logfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Writer writes log lines to a file, each whole or not at all, and never loses one
// silently. It is safe for concurrent use.
//
// Each Write carries one or more complete lines (a newline is added if p does not end in
// one) and is written with a single write(2), so that on a file opened O_APPEND (as Open
// does) writers in other processes never split it. A write to a pipe, a terminal or a
// socket that a signal cuts short once part of it is taken is finished by more write(2)s:
// nothing there can cut the part off, and the reader gets the line whole. If write(2) fails (ENOSPC, EIO, EDQUOT,
// EFBIG...) or writes only part of p, the part written is cut off again with ftruncate, so
// two lines are never glued together; the lines are counted as dropped, the error is kept,
// OnDrop is called and Write still returns len(p), nil. On the first write that succeeds
// after drops, a notice line (see Notice) saying how many lines were dropped and why is
// written first; the notice and the line are each whole. If the notice cannot be written,
// the line is dropped too, so no line ever follows a gap without the notice before it.
//
// Cutting a partial line off assumes that no other process appended to the file between
// the short write and the ftruncate; within a process, use one Writer per file. If the cut
// fails (an append-only file, a pipe), the notice starts with a newline, so that the
// fragment ends a line of its own instead of being glued to the notice.
//
// A write(2) that blocks (a pipe whose reader stopped reading, a frozen disk) blocks Write,
// and every Write behind it, for as long as it does: no line is given up on while it may
// yet be written, however slow its reader. Once Bound is called (a stop), a write that
// stays blocked past the bound makes the Writer give up: see Bound.
//
// Set Notice and OnDrop before the first Write and do not change them afterwards.
type Writer struct {
	// Notice formats the notice written before the first successful write after drops:
	// dropped is the number of lines lost since the last notice, cause the last error.
	// A newline is added if it returns bytes without one; nil or empty writes no notice.
	// It is called with the Writer's lock held and must not write to this Writer.
	// Nil means DefaultNotice.
	Notice func(dropped uint64, cause error) []byte

	// OnDrop, if not nil, is called after each Write that dropped lines, outside the
	// Writer's lock, with the total dropped so far and the last error, so that a daemon
	// can publish the count. Calls are serialized and each reports the current total, so
	// totals never go backwards. It must not write to this Writer.
	OnDrop func(total uint64, err error)

	name string          // the file's name in errors
	fd   int             // the descriptor, used by number, when rc is nil
	rc   syscall.RawConn // the file's descriptor (and a reference to it), for NewFileWriter

	lock    chan struct{} // one slot: held while writing; guards pending and partial
	pending uint64        // lines dropped since the last notice was written
	partial bool          // a partial line could not be cut off

	bound    atomic.Pointer[bound]    // set by Bound
	inflight atomic.Pointer[inflight] // the Write holding lock, nil if none
	gaveUp   chan struct{}            // closed once the Writer gave up (Bound)
	giveUp1  sync.Once                // sets the give-up's error
	close1   sync.Once                // closes gaveUp

	dropped atomic.Uint64
	lastErr atomic.Pointer[error]
	cbMu    sync.Mutex // serializes OnDrop calls
}

// NewWriter returns a Writer that writes to descriptor fd by its number: when fd is made to
// name another file (Redirect(path, fd) after logrotate), the next Write goes to the new
// file. name is the file's name in errors and notices, normally the log's path. The
// Writer never closes fd. The descriptor should be in blocking mode (as Redirect and Open
// leave it): on a non-blocking one, a write that would block drops its line.
func NewWriter(fd int, name string) *Writer {
	return &Writer{fd: fd, name: name, lock: make(chan struct{}, 1), gaveUp: make(chan struct{})}
}

// NewFileWriter returns a Writer that writes to f, named f.Name() in errors. The Writer
// never closes f; once f is closed, each Write drops its lines with os.ErrClosed.
func NewFileWriter(f *os.File) *Writer {
	rc, _ := f.SyscallConn() // fails only for a nil f, which f.Name() refuses first
	return &Writer{fd: -1, name: f.Name(), rc: rc, lock: make(chan struct{}, 1), gaveUp: make(chan struct{})}
}

// Dropped returns the number of lines dropped since the Writer was made.
func (w *Writer) Dropped() uint64 { return w.dropped.Load() }

// LastError returns the error of the last failed write (an *fs.PathError with Op
// "write"), or nil if none has failed. It stays set after writes succeed again.
func (w *Writer) LastError() error {
	if p := w.lastErr.Load(); p != nil {
		return *p
	}
	return nil
}

// Write writes p, a newline added if missing, whole or not at all, and returns len(p),
// nil in either case; see the type's documentation. Many lines at once are written in
// pieces of whole lines of about writePiece bytes, each whole or not at all, so that a
// bound (Bound) gives up on a reader that stopped taking them, not on one that takes a
// large batch slowly.
func (w *Writer) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	lines := p
	if p[len(p)-1] != '\n' {
		lines = append(p[:len(p):len(p)], '\n')
	}
	rest := uint64(bytes.Count(lines, []byte{'\n'}))
	for len(lines) > 0 {
		piece := lines
		if len(piece) > writePiece {
			if i := bytes.LastIndexByte(lines[:writePiece], '\n'); i >= 0 {
				piece = lines[:i+1]
			} else if i := bytes.IndexByte(lines[writePiece:], '\n'); i >= 0 {
				piece = lines[:writePiece+i+1] // one line longer than a piece: whole
			}
		}
		if w.writeLines(piece, rest) {
			break // given up on: the rest of the lines are counted with it
		}
		rest -= uint64(bytes.Count(piece, []byte{'\n'}))
		lines = lines[len(piece):]
	}
	return len(p), nil
}

// writePiece is about how much of a Write is written at once (a pipe's buffer): see Write.
const writePiece = 64 << 10

// writeLines writes line, whole lines, whole or not at all, of a Write that has rest lines
// left, these included. It reports whether a bound gave up on it while it was blocked: then
// the rest were counted dropped, and the Write writes no more of them.
func (w *Writer) writeLines(line []byte, rest uint64) (givenUp bool) {
	n := uint64(bytes.Count(line, []byte{'\n'}))
	if !w.acquire() {
		w.drop(n, nil)
		return
	}
	fl := &inflight{began: time.Now(), lines: rest}
	w.inflight.Store(fl) // before the bound is read: Bound, which sets it first, sees fl, or this sees it
	if b := w.bound.Load(); b != nil {
		t := time.AfterFunc(time.Until(b.giveUpAt(fl.began)), func() { w.giveUpOn(fl) })
		defer t.Stop()
	}
	err := w.writeNotice()
	if err == nil {
		err = w.writeWhole(line)
	}
	w.inflight.Store(nil)
	ours := fl.counted.CompareAndSwap(false, true) // false: giveUpOn counted its lines already
	if err != nil && ours {
		w.pending += n
	}
	<-w.lock
	if err != nil && ours {
		w.drop(n, err)
	}
	return !ours
}

// acquire takes the lock, unless the Writer gave up (Bound), before or while waiting for it:
// then it returns false, not holding it.
func (w *Writer) acquire() bool {
	select {
	case w.lock <- struct{}{}:
	case <-w.gaveUp:
		return false
	}
	if w.gaveUpYet() { // both were ready, and select took the lock
		<-w.lock
		return false
	}
	return true
}

// drop counts n lines as dropped, of err (nil: of the give-up, whose error is kept
// already), and tells OnDrop.
func (w *Writer) drop(n uint64, err error) {
	if err != nil {
		w.lastErr.Store(&err)
	}
	w.dropped.Add(n)
	w.onDrop()
}

// onDrop calls OnDrop, if set, outside the lock.
func (w *Writer) onDrop() {
	if w.OnDrop == nil {
		return
	}
	w.cbMu.Lock()
	w.OnDrop(w.Dropped(), w.LastError())
	w.cbMu.Unlock()
}

// ErrGaveUp is wrapped by the error of the lines a bounded Writer dropped once it gave up
// on a write that stayed blocked past its bound (see Bound).
var ErrGaveUp = errors.New("gave up on a write blocked past the stop's bound (its reader stopped reading, or its disk froze)")

// bound is when a blocked write is given up on: see Bound.
type bound struct {
	deadline time.Time
	stall    time.Duration
}

// giveUpAt is when a write that began at began and is still blocked is given up on.
func (b *bound) giveUpAt(began time.Time) time.Time {
	if at := began.Add(b.stall); at.After(b.deadline) {
		return at
	}
	return b.deadline
}

// inflight is the Write under way: its lines, counted dropped once, by whichever of the
// Write and the give-up claims them first.
type inflight struct {
	began   time.Time
	lines   uint64
	counted atomic.Bool
}

// Bound bounds how long the Writer waits behind a blocked write from now on, for a daemon
// that is stopping and must be gone in time: a write still blocked at deadline, or stall
// after it began if that is later (so that a slow reader that still reads gets each
// write stall to complete), makes the Writer give up. From then on, Write never blocks:
// the lines of the blocked write and of every Write after are dropped, counted (Dropped,
// OnDrop) and their error (LastError) wraps ErrGaveUp, without a notice, which could not be
// written either. The blocked write's lines are counted though they may yet be written,
// if its disk thaws before the process exits: the count is of lines not known to be
// written. Bound may be called again: the last bound counts for writes that begin after.
func (w *Writer) Bound(deadline time.Time, stall time.Duration) {
	b := &bound{deadline: deadline, stall: stall}
	w.bound.Store(b) // before the write under way is read: see Write
	if fl := w.inflight.Load(); fl != nil {
		time.AfterFunc(time.Until(b.giveUpAt(fl.began)), func() { w.giveUpOn(fl) })
	}
}

// GaveUp is closed once the Writer gave up on a blocked write (Bound): a caller that waits
// for its own Write to be written (a relay handing lines over from another goroutine) stops
// waiting then, and writes on, which drops and counts its lines at once.
func (w *Writer) GaveUp() <-chan struct{} { return w.gaveUp }

// gaveUpYet reports whether the Writer gave up.
func (w *Writer) gaveUpYet() bool {
	select {
	case <-w.gaveUp:
		return true
	default:
		return false
	}
}

// giveUpOn gives up, if fl is still under way: its lines are counted dropped, and every
// Write from now on drops its lines at once.
func (w *Writer) giveUpOn(fl *inflight) {
	if w.inflight.Load() != fl {
		return // it was written (or failed) meanwhile
	}
	w.giveUp1.Do(func() {
		var err error = &fs.PathError{Op: "write", Path: w.name,
			Err: fmt.Errorf("%w: blocked %s", ErrGaveUp, time.Since(fl.began).Round(time.Millisecond))}
		w.lastErr.Store(&err)
	})
	if fl.counted.CompareAndSwap(false, true) { // a Write that took the lock as it gave up, too
		w.dropped.Add(fl.lines)
	}
	w.close1.Do(func() { close(w.gaveUp) }) // once counted: GaveUp's reader sees the count
	w.onDrop()
}

// writeNotice writes the notice if lines were dropped since the last one. w.lock is held.
func (w *Writer) writeNotice() error {
	if w.pending == 0 {
		return nil
	}
	format := w.Notice
	if format == nil {
		format = DefaultNotice
	}
	notice := format(w.pending, w.LastError())
	if w.partial {
		notice = append([]byte{'\n'}, notice...)
	}
	if len(notice) > 0 {
		if notice[len(notice)-1] != '\n' {
			notice = append(notice, '\n')
		}
		if err := w.writeWhole(notice); err != nil {
			return err
		}
	}
	w.pending, w.partial = 0, false
	return nil
}

// writeWhole writes b with one write(2); if only part of it was written, it cuts that part
// off again. w.lock is held.
func (w *Writer) writeWhole(b []byte) error {
	var err error
	write := func(fd int) {
		var n int
		n, err = write(fd, b)
		if err == nil && n == len(b) {
			return
		}
		if err == nil && n > 0 && !regular(fd) {
			// A pipe's, a terminal's or a socket's write cut short by a signal (the Go
			// runtime's preemption) once part of it was taken, which cannot be cut off
			// again: the rest follows, and the line arrives whole.
			var rerr error
			if n, rerr = writeRest(fd, b, n); rerr == nil {
				return
			}
			err = fmt.Errorf("%w: %w", io.ErrShortWrite, rerr)
		}
		if err == nil {
			// A short write: the kernel says why only when asked for the rest (ENOSPC on
			// a full disk, EFBIG past a size limit); that part, if written, is cut too.
			m, rerr := write(fd, b[n:])
			n += m
			err = io.ErrShortWrite
			if rerr != nil {
				err = fmt.Errorf("%w: %w", err, rerr)
			}
		}
		if n > 0 {
			if terr := cutTail(fd, n); terr != nil {
				err = fmt.Errorf("%w; cutting off the %d bytes written failed: %w", err, n, terr)
				w.partial = true
			}
		}
	}
	if w.rc == nil {
		write(w.fd)
	} else if w.rc.Control(func(fd uintptr) { write(int(fd)) }) != nil {
		err = fs.ErrClosed // the only way Control fails
	}
	if err != nil {
		return &fs.PathError{Op: "write", Path: w.name, Err: err}
	}
	return nil
}

// write is one write(2), retried only if interrupted before writing anything.
func write(fd int, b []byte) (int, error) {
	for {
		n, err := unix.Write(fd, b)
		if err != unix.EINTR {
			return max(n, 0), err
		}
	}
}

// regular reports whether fd is a regular file, whose short write is cut off again.
func regular(fd int) bool {
	var st unix.Stat_t
	return unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG
}

// writeRest writes b[n:], n bytes of b being written already, in as many write(2)s as it
// takes; it returns how many bytes of b are written, and the error that stopped it.
func writeRest(fd int, b []byte, n int) (int, error) {
	for n < len(b) {
		m, err := write(fd, b[n:])
		n += m
		if err != nil {
			return n, err
		}
		if m == 0 {
			return n, io.ErrShortWrite
		}
	}
	return n, nil
}

// cutTail removes the last n bytes of the file open as fd: the part of a line that a short
// write appended. fstat gives the size only now that it is needed.
func cutTail(fd, n int) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if st.Size < int64(n) {
		return unix.EINVAL
	}
	for {
		if err := unix.Ftruncate(fd, st.Size-int64(n)); err != unix.EINTR {
			return err
		}
	}
}

// DefaultNotice formats a notice as hclog's text format does a warning, with the local
// time in milliseconds:
//
//	2026-11-26T00:56:19.807Z [WARN]  log: dropped 346 lines: write /var/log/x.log: no space left on device
func DefaultNotice(dropped uint64, cause error) []byte {
	b := time.Now().AppendFormat(nil, "2006-01-02T15:04:05.000Z0700")
	lines := "lines"
	if dropped == 1 {
		lines = "line"
	}
	b = fmt.Appendf(b, " [WARN]  log: dropped %d %s", dropped, lines)
	if cause != nil {
		b = fmt.Appendf(b, ": %v", cause)
	}
	return append(b, '\n')
}
