package supervisor

import "golang.org/x/sys/unix"

// noexec reports whether path is on a file system mounted noexec.
func noexec(path string) bool {
	var st unix.Statfs_t
	return unix.Statfs(path, &st) == nil && st.Flags&unix.ST_NOEXEC != 0
}
