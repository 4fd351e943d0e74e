package instance

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/daemonkit/daemonkit/pidfile"
)

// testHookMakeDir, when set by a test, runs before MakeDir makes each missing directory.
var testHookMakeDir func(dir string)

// MakeDir makes dir and its missing parents, as pidfile.MakeDir does (0755 whatever the
// umask), and checks each one as CheckDir does once it is there, before anything is made
// in it; it then returns CheckDir's error, if any. CheckDir alone, before the files are
// made, checks a missing directory from its nearest existing parent: under a directory
// others may write (sticky, as /tmp), another user could make the missing one, a symlink
// to a directory of theirs or of root's, between that check and the mkdir, and have the
// instance's files made there. Made first and then checked, a directory that is this
// user's or root's, in a parent that was checked, cannot be replaced by another user
// afterwards. Where a directory cannot be made, MakeDir stops and returns nil: the error
// is left to the open that fails there, which says why.
func MakeDir(dir string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := CheckDir(dir); err != nil {
		return err
	}
	var missing []string // the missing directories, dir first
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); !errors.Is(err, fs.ErrNotExist) {
			break // there (CheckDir judged it), or left to fail where it is opened
		}
		missing = append(missing, d)
		if d == filepath.Dir(d) {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		d := missing[i]
		if testHookMakeDir != nil {
			testHookMakeDir(d)
		}
		// Its parent is there and was checked: pidfile.MakeDir makes d alone, in it, or
		// finds what another made there meanwhile, which CheckDir judges before anything
		// is made in it.
		made := pidfile.MakeDir(d)
		if err := CheckDir(d); err != nil {
			return err
		}
		if made != nil {
			return nil // left to fail where it is opened
		}
	}
	return nil
}
