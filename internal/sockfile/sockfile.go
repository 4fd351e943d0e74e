// Package sockfile gives a Unix socket's file its mode without following a symlink.
//
// A socket is made by bind(2) at a path, and only then can its file be given a mode. In a
// directory another user may write (a service user's /run/www, or /tmp), that user can
// put a symlink in the socket's place between the two: a chmod by path would then change
// the mode of whatever the symlink names, as root of any file. Chmod refuses anything at
// the path but a socket this user owns. That user may also move the directory, or the
// socket's file, away, and put another socket of this user's in its place (another
// service's, which root bound): ChmodAt, given the directory the socket was bound in and
// the file it made there (BoundFile), changes that file or nothing.
package sockfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/filekind"
)

// ErrNotOurs means the path no longer names a socket this user owns: something was put in
// its place since it was bound.
var ErrNotOurs = errors.New("not a socket of this user's")

// check says why the file at path, of mode and owner uid as it is now, is not a socket
// this user owns.
func check(path string, mode, uid uint32) error {
	switch {
	case mode&syscall.S_IFMT != syscall.S_IFSOCK:
		return &fs.PathError{Op: "chmod socket", Path: path, Err: fmt.Errorf("%w: it is %s now", ErrNotOurs, filekind.Of(mode))}
	case int(uid) != os.Geteuid():
		return &fs.PathError{Op: "chmod socket", Path: path, Err: fmt.Errorf("%w: it is owned by uid %d now", ErrNotOurs, uid)}
	}
	return nil
}

// checkSame says why the file st describes, found at path, is not the socket of device dev
// and inode ino that this user owns.
func checkSame(path string, st *unix.Stat_t, dev, ino uint64) error {
	if err := check(path, uint32(st.Mode), st.Uid); err != nil { // uint16 on the BSDs
		return err
	}
	if uint64(st.Dev) != dev || !sameIno(uint64(st.Ino), ino) { // field types differ per OS
		return &fs.PathError{Op: "chmod socket", Path: path, Err: fmt.Errorf("%w: it is another socket now than the one bound there", ErrNotOurs)}
	}
	return nil
}
