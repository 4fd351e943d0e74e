package supervisor

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
)

// deniedWhy says why executing path as cred (nil: as this process) was refused with
// EACCES, where the file's modes tell: a directory on the way that the user may not
// enter, a file that is not a regular one or that the user may not execute, or a file
// system mounted noexec. It is "" when the modes allow it (an ACL, SELinux or AppArmor
// refused it then), and it reads modes only: a user the kernel lets through for other
// reasons (CAP_DAC_OVERRIDE) is told nothing false, only nothing.
func deniedWhy(path string, cred *syscall.Credential) string {
	uid, gid, groups := uint32(os.Geteuid()), uint32(os.Getegid()), ownGroups()
	if cred != nil {
		uid, gid, groups = cred.Uid, cred.Gid, cred.Groups
	}
	who := fmt.Sprintf("uid %d", uid)
	path = filepath.Clean(path)
	if why := searchDenied(filepath.Dir(path), uid, gid, groups); why != "" {
		return why
	}
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return ""
	case !fi.Mode().IsRegular():
		return "it is not a regular file"
	case !allowed(fi, uid, gid, groups, 0o1) || uid == 0 && fi.Mode().Perm()&0o111 == 0:
		return fmt.Sprintf("%s may not execute it (mode %04o, owner uid %d)", who, fi.Mode().Perm(), owner(fi))
	case noexec(path):
		return "it is on a file system mounted noexec"
	}
	return ""
}

// CannotEnter says why cred may not make dir its working directory, where the modes tell:
// the first directory on the way, dir included, that it may not search ("uid 65534 may not
// enter /root (mode 0700, owner uid 0)"). It is "" when the modes allow it, as deniedWhy is.
func CannotEnter(dir string, cred *syscall.Credential) string {
	if cred == nil {
		return ""
	}
	return searchDenied(filepath.Clean(dir), cred.Uid, cred.Gid, cred.Groups)
}

// CannotExec says why cred may not execute the file at path, where the modes tell, as the
// kernel would refuse it with EACCES: a directory on the way it may not enter, a file that
// is not a regular one or that it may not execute, a file system mounted noexec. It is ""
// when the modes allow it, or cred is nil (this process, which is asked by trying).
func CannotExec(path string, cred *syscall.Credential) string {
	if cred == nil {
		return ""
	}
	return deniedWhy(path, cred)
}

// CannotRead says why cred may not read the file at path, where the modes tell: a directory
// on the way it may not enter ("uid 65534 may not enter /root (mode 0700, owner uid 0)"), or
// the file's own mode ("uid 65534 may not read it (mode 0600, owner uid 0)"). It is "" when
// the modes allow it, when the file cannot be seen (the reader says so itself), or cred is
// nil.
func CannotRead(path string, cred *syscall.Credential) string {
	if cred == nil {
		return ""
	}
	path = filepath.Clean(path)
	if why := searchDenied(filepath.Dir(path), cred.Uid, cred.Gid, cred.Groups); why != "" {
		return why
	}
	if fi, err := os.Stat(path); err == nil && !allowed(fi, cred.Uid, cred.Gid, cred.Groups, 0o4) {
		return fmt.Sprintf("uid %d may not read it (mode %04o, owner uid %d)", cred.Uid, fi.Mode().Perm(), owner(fi))
	}
	return ""
}

// CannotCreateIn says why cred may not make a file (a unix socket) in dir, where the modes
// tell: a directory on the way, dir included, that it may not enter, or dir's own mode
// ("uid 65534 may not write in /run (mode 0755, owner uid 0)"). It is "" when the modes
// allow it, when dir cannot be seen (made later, as a RuntimeDirectory= is), or cred is nil.
func CannotCreateIn(dir string, cred *syscall.Credential) string {
	if cred == nil {
		return ""
	}
	dir = filepath.Clean(dir)
	if why := searchDenied(dir, cred.Uid, cred.Gid, cred.Groups); why != "" {
		return why
	}
	if fi, err := os.Stat(dir); err == nil && !allowed(fi, cred.Uid, cred.Gid, cred.Groups, 0o2) {
		return fmt.Sprintf("uid %d may not write in %s (mode %04o, owner uid %d)", cred.Uid, dir, fi.Mode().Perm(), owner(fi))
	}
	return ""
}

// searchDenied is the first directory from / down to dir that uid (with gid and groups)
// may not search, said as deniedWhy says it, or "".
func searchDenied(dir string, uid, gid uint32, groups []uint32) string {
	var dirs []string // from / down, in the order the kernel walks them
	for ; ; dir = filepath.Dir(dir) {
		dirs = append(dirs, dir)
		if dir == filepath.Dir(dir) {
			break
		}
	}
	for _, d := range slices.Backward(dirs) {
		if fi, err := os.Stat(d); err == nil && !allowed(fi, uid, gid, groups, 0o1) {
			return fmt.Sprintf("uid %d may not enter %s (mode %04o, owner uid %d)", uid, d, fi.Mode().Perm(), owner(fi))
		}
	}
	return ""
}

// allowed reports whether the mode bits of fi grant want (1: execute or search, 2: write,
// 4: read) to uid, gid and groups, as the kernel reads them without ACLs; root is granted
// all.
func allowed(fi fs.FileInfo, uid, gid uint32, groups []uint32, want fs.FileMode) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || uid == 0 {
		return true
	}
	perm := fi.Mode().Perm()
	switch {
	case uint32(st.Uid) == uid:
		return perm>>6&want == want
	case uint32(st.Gid) == gid || slices.Contains(groups, uint32(st.Gid)):
		return perm>>3&want == want
	}
	return perm&want == want
}

func owner(fi fs.FileInfo) uint32 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint32(st.Uid)
	}
	return 0
}

func ownGroups() []uint32 {
	ids, _ := os.Getgroups()
	out := make([]uint32, 0, len(ids))
	for _, id := range ids {
		out = append(out, uint32(id))
	}
	return out
}

// explainDenied adds deniedWhy to err when there is something to say.
func explainDenied(path string, err error, cred *syscall.Credential) error {
	if why := deniedWhy(path, cred); why != "" {
		return fmt.Errorf("%w: %s", err, why)
	}
	return err
}
