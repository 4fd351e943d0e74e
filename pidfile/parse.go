package pidfile

import (
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/keepfile"
)

// maxContent is the most a pidfile may hold: readers read one byte more, to tell.
const maxContent = 32

// ParsePID parses a pidfile's content. It accepts exactly a decimal number without sign or
// leading zero, optionally followed by one newline (^[1-9][0-9]*\n?$), of at most 32 bytes,
// whose value is between 1 (a daemon that is its pid namespace's init: a container's PID 1)
// and the system's pid_max. Anything else is an error wrapping
// ErrBadContent that quotes what was found, or says it is only NUL bytes, or empty (then it
// wraps ErrNoContent too).
func ParsePID(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, fmt.Errorf("%w: %w", ErrBadContent, ErrNoContent)
	}
	if crashLeft(b) {
		return 0, fmt.Errorf("%w: only NUL bytes (%d)", ErrBadContent, len(b))
	}
	if len(b) > maxContent {
		return 0, fmt.Errorf("%w: too long (more than %d bytes), starting %q", ErrBadContent, maxContent, b[:16])
	}
	digits := b
	if digits[len(digits)-1] == '\n' {
		digits = digits[:len(digits)-1]
	}
	if len(digits) == 0 {
		return 0, fmt.Errorf("%w: no digits: %q", ErrBadContent, b)
	}
	for i, c := range digits {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: unexpected %q at offset %d in %q", ErrBadContent, digits[i:i+1], i, b)
		}
	}
	if digits[0] == '0' && len(digits) > 1 {
		return 0, fmt.Errorf("%w: leading zero in %q", ErrBadContent, b)
	}
	limit := pidMax()
	v, err := strconv.ParseInt(string(digits), 10, 64)
	if err != nil || v < 1 || v > int64(limit) {
		return 0, fmt.Errorf("%w: %s is out of range [1, %d]", ErrBadContent, digits, limit)
	}
	return int(v), nil
}

// readPID reads and parses the content of the pidfile open as fd, reading at most
// maxContent+1 bytes.
func readPID(fd int) (int, error) {
	buf := make([]byte, maxContent+1)
	n, err := unix.Pread(fd, buf, 0)
	if err != nil {
		return 0, fmt.Errorf("read: %w", err)
	}
	return ParsePID(buf[:n])
}

// looksLikePidfile reports whether content may be overwritten or removed: it is empty, or
// one or more ASCII digits optionally followed by one newline, at most maxContent bytes.
// That is wider than ParsePID ("0\n" and "0123" look like pidfiles) and narrow enough that
// no configuration, data or program file passes. (Only NUL bytes pass too, in a file that
// carries a pidfile's mark: see checkContent.)
func looksLikePidfile(content []byte) bool {
	if len(content) == 0 {
		return true
	}
	if len(content) > maxContent {
		return false
	}
	digits := content
	if digits[len(digits)-1] == '\n' {
		digits = digits[:len(digits)-1]
	}
	if len(digits) == 0 {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// crashLeft reports whether content, not empty and at most maxContent bytes, is only NUL
// bytes: what a crash or power loss can leave of a pidfile (which is never synced) on a
// file system that allocates blocks late (ext4, XFS): the file has its size, its data
// never reached the disk. It is a pidfile that names no pid, as an empty one is.
func crashLeft(content []byte) bool {
	if len(content) == 0 || len(content) > maxContent {
		return false
	}
	for _, c := range content {
		if c != 0 {
			return false
		}
	}
	return true
}

// checkContent refuses, with an error wrapping ErrNotPidfile, to verb ("overwrite" or
// "remove") the file at path, open as fd, unless its content looks like a pidfile, or is
// what a crash left of one (crashLeft) in a file that carries the mark of a pidfile this
// package wrote (the sticky bit, internal/keepfile, which writePID gives it before it
// writes the pid: its mode reached the disk, its data did not). A file of NUL bytes without it (a counter, a small binary file that a careless
// --pidfile names) is not taken for one.
func checkContent(path string, fd int, verb string) error {
	buf := make([]byte, maxContent+1)
	n, err := unix.Pread(fd, buf, 0)
	if err != nil {
		return wrapOp("read", err)
	}
	if looksLikePidfile(buf[:n]) || (crashLeft(buf[:n]) && markedPidfile(fd)) {
		return nil
	}
	return &NotPidfileError{Path: path, Verb: verb, Content: buf[:n]}
}

// markedPidfile reports whether the file open as fd carries the mark every pidfile this
// package writes gets (writePID): the sticky bit, where internal/keepfile sets one.
func markedPidfile(fd int) bool {
	var st unix.Stat_t
	return keepfile.Bit != 0 && unix.Fstat(fd, &st) == nil && uint32(st.Mode)&keepfile.Bit != 0
}
