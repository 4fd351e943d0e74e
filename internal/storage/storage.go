// Package storage says in words why a file system refused a write (full, of blocks or of
// inodes; a quota used up; mounted read-only) and what to do, for the errors of the first
// files a start writes: its start lock in the state directory, and its log.
package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Explain adds to err, when the file system of dir refused it for want of room (ENOSPC,
// which the kernel says of inodes too), of quota (EDQUOT) or because it is mounted
// read-only (EROFS), because it keeps no Unix file modes (ErrNoModes), or because it
// cannot hold a Unix socket (ErrNoSockets), which of them and the fix; flag is the option that picks another
// directory ("--state-dir"). A dir that is not there (its making failed) is named by its
// nearest parent that is, whose file system refused it. Any other error, and nil, it returns as they are. The result
// wraps err: errors.Is still finds the errno.
func Explain(err error, dir, flag string) error {
	dir = existing(dir)
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return fmt.Errorf("%w: the file system of %s is full, of space or of inodes (df -h and df -i of it say which): free some there, or give %s another directory", err, dir, flag)
	case errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("%w: uid %d has used up its disk quota on the file system of %s (quota -s): free some of its files there, or give %s another directory", err, os.Geteuid(), dir, flag)
	case errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%w: the file system of %s is mounted read-only: remount it read-write, or give %s another directory", err, dir, flag)
	case errors.Is(err, ErrNoSockets):
		return fmt.Errorf("%w: the file system of %s%s cannot hold Unix sockets: give %s a directory on another file system (such as /run)", err, dir, typeOf(dir), flag)
	case errors.Is(err, ErrNoModes):
		return fmt.Errorf("%w: the file system of %s%s keeps no Unix file modes (nor, as a rule, Unix sockets, or names that differ only in case): give %s a directory on another file system (such as /run)", err, dir, typeOf(dir), flag)
	}
	return err
}

// existing is dir, or its nearest parent that exists.
func existing(dir string) string {
	for {
		parent := filepath.Dir(dir)
		if _, err := os.Stat(dir); err == nil || parent == dir {
			return dir
		}
		dir = parent
	}
}

// ErrNoModes means a file system would not give a file the mode it was asked for: it keeps
// no Unix modes (vfat, exFAT, NTFS through some drivers, a FUSE file system without chmod).
var ErrNoModes = errors.New("the file system keeps no Unix file modes")

// NoModes returns err, a chmod's error for a file or directory that uid owns, marked
// ErrNoModes (errors.Is finds both) if it was the file system that refused the mode: chmod
// not implemented or not supported (ENOSYS, EOPNOTSUPP), or refused to the file's own owner
// (EPERM, what vfat says of a mode it cannot keep). Any other error it returns as it is.
func NoModes(err error, uid int) error {
	switch {
	case errors.Is(err, syscall.ENOSYS), errors.Is(err, syscall.EOPNOTSUPP),
		errors.Is(err, syscall.EPERM) && uid == os.Geteuid():
		return &marked{err, ErrNoModes}
	}
	return err
}

// marked is err, which errors.Is also finds to be as (a sentinel of this package's),
// with err's own text.
type marked struct{ err, as error }

func (e *marked) Error() string        { return e.err.Error() }
func (e *marked) Unwrap() error        { return e.err }
func (e *marked) Is(target error) bool { return target == e.as }

// ErrNoSockets means a file system refused to make a Unix socket's file (a bind): it cannot
// hold one (vfat, exFAT, many FUSE file systems).
var ErrNoSockets = errors.New("the file system cannot hold Unix sockets")

// NoSockets returns err, a bind's error for a Unix socket's path in dir, marked
// ErrNoSockets (errors.Is finds both) if it was the file system that refused the socket's
// file: not supported (EOPNOTSUPP, ENOSYS), or, on a file system that keeps no Unix modes
// (vfat, exFAT, FUSE: where Linux can tell), refused at once (EPERM, vfat's, for any user)
// or failed (EIO, a FUSE file system's). An EPERM or EIO elsewhere (an immutable
// directory, a seccomp filter that refuses bind) is no limit of the file system's, and it
// returns it as it is, as any other error (EACCES, EADDRINUSE).
func NoSockets(err error, dir string) error {
	switch {
	case errors.Is(err, syscall.EOPNOTSUPP), errors.Is(err, syscall.ENOSYS):
		return &marked{err, ErrNoSockets}
	case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EIO):
		if typeOf(dir) != "" {
			return &marked{err, ErrNoSockets}
		}
	}
	return err
}
