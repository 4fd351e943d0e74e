package supervisor

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/filekind"
	"github.com/daemonkit/daemonkit/pidfile"
)

// The child pidfile (Config.ChildPIDFile) is written by the supervisor, perhaps root, for
// a program that may run as another user: it follows daemonkit's own pidfile's rules. Its
// directory is checked as the instance's own are (instance.CheckDir: no other user's, none
// another user may write unless it is sticky), and then held open, so that every step
// goes through the directory that was checked. The file itself is never followed through
// a symlink, never opened if it is not a regular file, and never written, truncated or
// removed when it is another user's, has other hard links, or does not look like a
// pidfile (pidfile.CheckUnlocked). A program that writes its own pidfile (--ready
// pidfile:) is another matter: that file is only read (readForeignPID), and the pid in it
// is never signalled unless it names a child of the supervisor.

// checkChildPIDFile refuses, before the program starts, a child pidfile that
// writeChildPIDFile would refuse: in a directory another user may change, or a file there
// that it would not overwrite.
func checkChildPIDFile(path string, user *syscall.Credential) error {
	dir, err := openChildPIDDir(path, user, true)
	if err != nil {
		return err
	}
	defer dir.Close()
	fd, err := openChildPIDFile(dir, path, unix.O_RDONLY)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return childPIDFileRefused(path, pidfile.CheckUnlocked(path, fd, "overwrite"))
}

// writePIDFile writes pid and a newline to path, 0644, through its checked directory,
// never through a symlink, and never over a file that is not the effective user's, has
// other hard links, or is neither empty nor pidfile-shaped (digits and a newline): a child
// pidfile is informative, for tools that want the program's pid, and unlocked.
func writePIDFile(path string, pid int, user *syscall.Credential) error {
	dir, err := openChildPIDDir(path, user, true)
	if err != nil {
		return err
	}
	defer dir.Close()
	fd, err := openChildPIDFile(dir, path, unix.O_RDWR|unix.O_CREAT)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	if err := childPIDFileRefused(path, pidfile.CheckUnlocked(path, fd, "overwrite")); err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err = f.WriteAt([]byte(strconv.Itoa(pid)+"\n"), 0)
	return err
}

// removePIDFile removes path if it is still the file of the effective user's, with no
// other hard link, that holds pid and a newline, through its checked directory; anything
// else there (a file another user put in its place, a FIFO, a symlink) is left. It never
// blocks: a FIFO at path is not opened. It reports whether it removed the file.
func removePIDFile(path string, pid int, user *syscall.Credential) bool {
	dir, err := openChildPIDDir(path, user, false)
	if err != nil {
		return false
	}
	defer dir.Close()
	fd, err := openChildPIDFile(dir, path, unix.O_RDONLY)
	if err != nil {
		return false
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	if pidfile.CheckUnlocked(path, fd, "remove") != nil {
		return false
	}
	want := strconv.Itoa(pid) + "\n"
	b := make([]byte, len(want)+1)
	n, _ := io.ReadFull(f, b)
	var fst, st unix.Stat_t
	if string(b[:n]) != want || unix.Fstat(fd, &fst) != nil ||
		unix.Fstatat(int(dir.Fd()), filepath.Base(path), &st, unix.AT_SYMLINK_NOFOLLOW) != nil ||
		fst.Dev != st.Dev || fst.Ino != st.Ino {
		return false
	}
	return unix.Unlinkat(int(dir.Fd()), filepath.Base(path), 0) == nil
}

// openChildPIDDir opens the directory of the child pidfile path, and checks it as the
// instance's own directories are checked (instance.CheckDir): it and those above it are
// root's or the effective user's, and writable by no other user unless sticky. Not the
// --user's own, as a socket's may be: its owner could put a file of theirs in the pidfile's
// place, naming any pid, and tools read it as the program's. If create, a missing directory
// whose parent passes that check is made, 0755, in that parent held open (a /run/NAME
// that a reboot emptied); a deeper one is an error that says to make it. The directory
// returned is the one checked: a directory put at its path while it was checked is
// refused.
func openChildPIDDir(path string, user *syscall.Credential, create bool) (*os.File, error) {
	d := filepath.Dir(path)
	dir, err := checkedDir(d, instance.CheckDir)
	if errors.Is(err, fs.ErrNotExist) && create && makeDirIn(d) == nil {
		dir, err = checkedDir(d, instance.CheckDir)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("child pidfile %q: its directory %s is missing: make it, root's or yours (install -d %s)", path, d, d)
	}
	if err != nil {
		if user != nil && errors.Is(err, instance.ErrUnsafeDir) && ownedBy(d, user.Uid) {
			err = fmt.Errorf("%w (not even the --user's own: that user could put a file naming any pid in its place; use a directory of root's, such as /run/NAME made by root)", err)
		}
		return nil, fmt.Errorf("child pidfile %q: %w", path, err)
	}
	return dir, nil
}

// makeDirIn makes the directory d, 0755, in its parent held open once that parent has
// passed instance.CheckDir: nothing is made through a path another user may change.
func makeDirIn(d string) error {
	parent, err := checkedDir(filepath.Dir(d), instance.CheckDir)
	if err != nil {
		return err
	}
	defer parent.Close()
	if err := unix.Mkdirat(int(parent.Fd()), filepath.Base(d), 0o755); err != nil {
		return err
	}
	return unix.Fchmodat(int(parent.Fd()), filepath.Base(d), 0o755, 0) // whatever the umask
}

// ownedBy reports whether the directory d is uid's.
func ownedBy(d string, uid uint32) bool {
	var st unix.Stat_t
	return unix.Lstat(d, &st) == nil && st.Uid == uid
}

// checkedDir opens the directory path, checks it with check, and returns it if path still
// names the directory opened: what was checked is what is held. Once check has made sure
// that no other user may change the directories on the way, path names that directory for
// as long as those who may (root, the effective user) leave it.
func checkedDir(path string, check func(string) error) (*os.File, error) {
	fd, err := unix.Open(path, heldDirFlags, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open directory", Path: path, Err: err}
	}
	dir := os.NewFile(uintptr(fd), path)
	if err := check(path); err != nil {
		dir.Close()
		return nil, err
	}
	var held, now unix.Stat_t
	if err := unix.Fstat(fd, &held); err != nil {
		dir.Close()
		return nil, &fs.PathError{Op: "stat directory", Path: path, Err: err}
	}
	if err := unix.Stat(path, &now); err != nil || now.Dev != held.Dev || now.Ino != held.Ino {
		dir.Close()
		return nil, fmt.Errorf("directory %q was replaced while it was checked: refusing it; try again, and find out who changes it", path)
	}
	return dir, nil
}

// openChildPIDFile opens the child pidfile path in its directory dir, with flags (read-only,
// or read-write and created 0644 if missing), never following a symlink and never
// blocking, and only if it is a regular file: nothing else (a device, whose open alone may
// act; a FIFO) is opened at all. A missing file is an error wrapping fs.ErrNotExist.
func openChildPIDFile(dir *os.File, path string, flags int) (int, error) {
	name := filepath.Base(path)
	var st unix.Stat_t
	err := unix.Fstatat(int(dir.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW)
	switch {
	case err == nil:
		if mode := uint32(st.Mode); mode&unix.S_IFMT != unix.S_IFREG { // uint16 on the BSDs
			return -1, fmt.Errorf("child pidfile %q: %w: it is %s: refusing it (remove it, or choose another --child-pidfile)", path, pidfile.ErrNotRegular, filekind.Of(mode))
		}
		if pidfile.HeldHere(&st) {
			return -1, errOwnPIDFile(path)
		}
	case !errors.Is(err, unix.ENOENT) || flags&unix.O_CREAT == 0:
		return -1, &fs.PathError{Op: "stat child pidfile", Path: path, Err: err}
	}
	fd, err := unix.Openat(int(dir.Fd()), name, flags|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return -1, &fs.PathError{Op: "open child pidfile", Path: path, Err: err}
	}
	if pidfile.KeepIfHeld(fd) { // put there since the look: kept open, not closed
		return -1, errOwnPIDFile(path)
	}
	return fd, nil
}

// errOwnPIDFile refuses path, another path to the pidfile this daemon holds (through a
// symlinked directory): it is never opened, since closing a descriptor of it would let
// go of the daemon's lock, after which status would say it does not run.
func errOwnPIDFile(path string) error {
	return fmt.Errorf("%q is the instance's own pidfile, which daemonkit holds (named through a symbolic link): give another path", path)
}

// childPIDFileRefused says, in the child pidfile's words, why pidfile.CheckUnlocked
// refused path (nil if it did not), and what to do.
func childPIDFileRefused(path string, err error) error {
	var np *pidfile.NotPidfileError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &np):
		return fmt.Errorf("child pidfile %q holds %s, which is not a pidfile: refusing to overwrite it (choose another --child-pidfile, or remove the file yourself if it is yours)", path, np.Quote())
	case errors.Is(err, pidfile.ErrNotOwner):
		return fmt.Errorf("child pidfile %q: %w: refusing to write or remove it (remove it if it is not needed, or choose another --child-pidfile)", path, err)
	}
	return fmt.Errorf("child pidfile %q: %w: refusing it (remove it, or choose another --child-pidfile)", path, err)
}

// CheckFiles refuses, before anything is stopped or started, what a start of cfg would
// refuse of the files it makes outside the state directory: a unix socket's directory,
// and the child pidfile's directory and file (its missing directory is made where the
// start would make it: see openChildPIDDir). restart checks so before it stops the
// running copy.
func CheckFiles(cfg Config) error {
	if cfg.ChildPIDFile != "" {
		if err := checkChildPIDFile(cfg.ChildPIDFile, cfg.Credential); err != nil {
			return err
		}
	}
	for _, sk := range cfg.Sockets {
		if sk.Network != "unix" {
			continue
		}
		dir, err := openSocketDir(sk.Address, cfg.Credential)
		if err != nil {
			return err
		}
		dir.Close()
	}
	return nil
}
