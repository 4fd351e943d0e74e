package logfile

import (
	"fmt"
	"io/fs"
	"os"
	"slices"

	"golang.org/x/sys/unix"
)

// Redirect opens the log at path as Open does and makes each of fds a duplicate of it,
// without close-on-exec, each replaced atomically (dup3 on Linux, dup2 elsewhere): a
// daemon calls Redirect(path, 1, 2) at start and again after logrotate renamed its log,
// and from then on everything written to descriptors 1 and 2 goes to the file now at path,
// including through a Writer made with NewWriter(2, path). It works whatever the numbers:
// a target that was closed, so that the new file got its number, is handled.
//
// If path cannot be opened (a symlink or a FIFO planted there, say), Redirect returns
// Open's error at once and no descriptor is changed. Other errors are *fs.PathError with
// Op "redirect to log".
func Redirect(path string, fds ...int) error {
	fail := func(err error) error { return &fs.PathError{Op: "redirect to log", Path: path, Err: err} }
	for _, t := range fds {
		if t < 0 {
			return fail(fmt.Errorf("invalid descriptor %d", t))
		}
	}
	fd, err := openAppend(path)
	if err != nil {
		return err
	}
	if slices.Contains(fds, fd) {
		// A target was closed and the kernel gave its number to the new file: move the file
		// above every target, so each can be made a plain duplicate of it.
		nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, slices.Max(fds)+1)
		unix.Close(fd)
		if err != nil {
			return fail(fmt.Errorf("move descriptor %d: %w", fd, err))
		}
		fd = nfd
	}
	defer unix.Close(fd)
	for _, t := range fds {
		if err := dupOnto(fd, t); err != nil {
			return fail(fmt.Errorf("descriptor %d: %w", t, err))
		}
	}
	return nil
}

// Names reports whether path names the file open at descriptor fd (the same device and
// inode): false once the file was deleted or renamed away, or another put in its place,
// and when either cannot be looked at.
func Names(path string, fd int) bool {
	var atPath, atFD unix.Stat_t
	if unix.Stat(path, &atPath) != nil || unix.Fstat(fd, &atFD) != nil {
		return false
	}
	return atPath.Dev == atFD.Dev && atPath.Ino == atFD.Ino
}

// Keep returns a duplicate of descriptor fd, close-on-exec, named name: what fd was before
// a Redirect of it, such as a foreground's stderr, kept to tell the caller what the log
// should not hold.
func Keep(fd int, name string) (*os.File, error) {
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return nil, &fs.PathError{Op: "keep descriptor", Path: name, Err: err}
	}
	return os.NewFile(uintptr(nfd), name), nil
}
