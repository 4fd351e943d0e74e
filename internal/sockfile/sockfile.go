// Package sockfile gives a Unix socket's file its mode without following a symlink.
//
// A socket is made by bind(2) at a path, and only then can its file be given a mode. In a
// directory another user may write (a service user's /run/www, or /tmp), that user can
// put a symlink in the socket's place between the two: a chmod by path would then change
// the mode of whatever the symlink names, as root of any file. Chmod refuses anything at
// the path but a socket this user owns.
package sockfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

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
