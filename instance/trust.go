package instance

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ErrUnsafeDir means a directory on the way to an instance's files could be changed by a
// user other than the effective one and root: that user could plant a symlink, a FIFO or
// a record there, or move the files away.
var ErrUnsafeDir = errors.New("directory writable by another user")

// ErrForeignSymlink means a path goes through a symbolic link that neither the effective
// user nor root owns: its owner may point it elsewhere at any time, at a file or directory
// of this user's that daemonkit would then read or write.
var ErrForeignSymlink = errors.New("another user's symbolic link")

// CheckDir refuses dir, where an instance's files go, unless it and every directory above
// it is owned by the effective user or by root and is writable by nobody else, as OpenSSH's
// StrictModes checks a home directory. A directory writable by all but sticky (/tmp) is
// accepted: others cannot remove or rename what is in it, and every file daemonkit opens
// there is opened without following symlinks and checked for its owner and kind. A
// missing directory is checked from its nearest existing parent; a path through a file
// that is not a directory is left to fail where it is opened. A symlink on the way is
// refused unless the effective user or root owns it (another user could point it
// elsewhere later, where daemonkit would follow: into a directory of theirs), and the
// directories it leads to are checked as well (one in a directory its owner may not
// write is fine: nobody can repoint it).
func CheckDir(dir string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	euid := os.Geteuid()
	if err := checkChain(dir, euid); err != nil {
		return err
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil && real != dir {
		return checkChain(real, euid) // where the symlinks lead, now
	}
	return nil
}

// checkChain checks dir and every directory above it, as CheckDir says.
func checkChain(dir string, euid int) error {
	for d := dir; ; d = filepath.Dir(d) {
		if err := checkSymlinkOwner(d, euid); err != nil {
			if d != dir {
				return fmt.Errorf("directory %q: %w", dir, err)
			}
			return err
		}
		fi, err := os.Stat(d)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return fmt.Errorf("check directory %q: %w", d, err)
		default:
			if err := checkOneDir(d, fi, euid); err != nil {
				if d != dir {
					return fmt.Errorf("directory %q: %w", dir, err)
				}
				return err
			}
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// CheckNoForeignSymlink refuses path if it, or a directory above it, is a symbolic link
// that neither the effective user nor root owns, in a directory where its owner may
// replace it (the error wraps ErrForeignSymlink). A file read from such a path, perhaps by
// root, could be any file its owner points it at.
func CheckNoForeignSymlink(path string) error {
	path, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	euid := os.Geteuid()
	for d := path; ; d = filepath.Dir(d) {
		if err := checkSymlinkOwner(d, euid); err != nil {
			return err
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// checkSymlinkOwner refuses d if it is a symlink that neither euid nor root owns.
func checkSymlinkOwner(d string, euid int) error {
	fi, err := os.Lstat(d)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return nil // not there (checked from its parent), or not a symlink
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 || int(st.Uid) == euid || !mayReplace(filepath.Dir(d), int(st.Uid)) {
		return nil // a symlink is never changed in place: only one who may write its directory can replace it
	}
	return fmt.Errorf("%w: %q is a symbolic link owned by uid %d (not by you, uid %d, nor root), who may point it elsewhere: refusing it; give the path it leads to", ErrForeignSymlink, d, st.Uid, euid)
}

// mayReplace reports whether uid may (or, where it cannot be told, might) replace an entry
// of dir: dir is uid's own, or writable by its group or by others (sticky or not: a
// sticky directory lets uid replace what uid owns).
func mayReplace(dir string, uid int) bool {
	fi, err := os.Stat(dir)
	if err != nil {
		return true
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || int(st.Uid) == uid || fi.Mode().Perm()&0o022 != 0
}

// checkOneDir checks one directory's owner and mode.
func checkOneDir(d string, fi fs.FileInfo, euid int) error {
	if !fi.IsDir() {
		return nil // nothing can be made under it: opening there fails and says why
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil // no owner to check on this system
	}
	if uid := int(st.Uid); uid != 0 && uid != euid {
		fix := "choose a directory of your own"
		if euid == 0 {
			fix = fmt.Sprintf("act as that user (sudo -u '#%d' ...), who may change it anyway, or choose a directory of your own", uid)
		}
		return fmt.Errorf("%w: %q is owned by uid %d (not by you, uid %d, nor root): refusing it; %s", ErrUnsafeDir, d, uid, euid, fix)
	}
	if perm := fi.Mode(); perm.Perm()&0o022 != 0 && perm&fs.ModeSticky == 0 {
		return fmt.Errorf("%w: %q has mode %04o, writable by other users: refusing it; chmod go-w it, or choose another directory", ErrUnsafeDir, d, perm.Perm())
	}
	return nil
}
