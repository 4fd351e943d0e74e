package storage

import "golang.org/x/sys/unix"

// typeOf names, as " (vfat)", the kind of the file system of dir when it is one that
// keeps no Unix file modes, nor as a rule Unix sockets; "" for any other, or if it cannot be told.
func typeOf(dir string) string {
	var st unix.Statfs_t
	if unix.Statfs(dir, &st) != nil {
		return ""
	}
	switch uint32(st.Type) {
	case unix.MSDOS_SUPER_MAGIC:
		return " (vfat)"
	case unix.EXFAT_SUPER_MAGIC:
		return " (exFAT)"
	case unix.FUSE_SUPER_MAGIC:
		return " (a FUSE file system)"
	}
	return ""
}
