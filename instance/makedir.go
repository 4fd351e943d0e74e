package instance

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/daemonkit/daemonkit/pidfile"
)

// testHookMakeDir, when set by a test, runs before MakeDir makes each missing directory;
// testHookMakeDirLook between its first look at what is there and the check of it.
var testHookMakeDir, testHookMakeDirLook func(dir string)

// makeDirAttempts bounds how many times MakeDir starts again when what is at a path
// changes under it (made, removed, replaced) while it makes and checks it.
const makeDirAttempts = 10

// MakeDir makes dir and its missing parents, as pidfile.MakeDir does (0755 whatever the
// umask), and checks each one as CheckDir does once it is there, before anything is made
// in it; it then returns CheckDir's error, if any. CheckDir alone, before the files are
// made, checks a missing directory from its nearest existing parent: under a directory
// others may write (sticky, as /tmp), another user could make the missing one, a symlink
// to a directory of theirs or of root's, between that check and the mkdir, and have the
// instance's files made there. Made first and then checked, a directory that is this
// user's or root's, in a parent that was checked, cannot be replaced by another user
// afterwards. What is at each path is looked at before and after its check, and MakeDir
// starts again (up to makeDirAttempts times) when it changed meanwhile: it never returns
// nil with dir missing, or other than what it checked, but where a directory cannot be
// made at all (no permission, a read-only file system), whose error is left to the open
// that fails there, which says why.
func MakeDir(dir string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for range makeDirAttempts {
		settled, err := makeDirOnce(dir)
		if err != nil || settled {
			return err
		}
	}
	return fmt.Errorf("make directory %q: what is at its path kept changing while it was made and checked (another user's doing?); try again", dir)
}

// makeDirOnce is one attempt of MakeDir: settled is false when what is at a path changed
// between its looks, and the attempt must start again.
func makeDirOnce(dir string) (settled bool, err error) {
	var missing []string // the missing directories, dir first
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); !errors.Is(err, fs.ErrNotExist) {
			break
		}
		missing = append(missing, d)
		if d == filepath.Dir(d) {
			break
		}
	}
	if len(missing) == 0 { // it is there: checked as it is, and still that once checked
		return checkStill(dir)
	}
	if err := CheckDir(dir); err != nil { // the existing ones above the first missing
		return false, err
	}
	for i := len(missing) - 1; i >= 0; i-- {
		d := missing[i]
		if testHookMakeDir != nil {
			testHookMakeDir(d)
		}
		// Its parent is there and was checked: pidfile.MakeDir makes d alone, in it, or
		// finds what another made there meanwhile, which is checked before anything is
		// made in it.
		if made := pidfile.MakeDir(d); made != nil {
			if _, err := os.Lstat(d); errors.Is(err, fs.ErrNotExist) {
				return true, nil // it cannot be made: left to fail where it is opened
			}
		}
		if settled, err := checkStill(d); err != nil || !settled {
			return settled, err
		}
	}
	return true, nil
}

// checkStill checks d as CheckDir does, and says whether what is at its path was there,
// and the same file, before and after the check: settled is false when it was missing or
// changed, so that a check of a missing path, which passes, or of a file that another put
// there since, never counts for what is there now.
func checkStill(d string) (settled bool, err error) {
	before, err := os.Lstat(d)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check directory %q: %w", d, err)
	}
	if testHookMakeDirLook != nil {
		testHookMakeDirLook(d)
	}
	if err := CheckDir(d); err != nil {
		return false, err
	}
	after, err := os.Lstat(d)
	return err == nil && os.SameFile(before, after), nil
}
