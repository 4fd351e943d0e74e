package instance

import "golang.org/x/sys/unix"

// sharedFS reports whether path is on a file system that other machines share (NFS, SMB,
// AFS, Ceph, Coda, 9p, OCFS2): a state directory there would show other machines'
// daemons, whose pids mean nothing here.
func sharedFS(path string) bool {
	var st unix.Statfs_t
	if unix.Statfs(path, &st) != nil {
		return false
	}
	switch uint32(st.Type) {
	case unix.NFS_SUPER_MAGIC, unix.SMB_SUPER_MAGIC, unix.SMB2_SUPER_MAGIC, unix.CIFS_SUPER_MAGIC,
		unix.AFS_SUPER_MAGIC, unix.AFS_FS_MAGIC, unix.CEPH_SUPER_MAGIC, unix.CODA_SUPER_MAGIC,
		unix.V9FS_MAGIC, unix.OCFS2_SUPER_MAGIC:
		return true
	}
	return false
}
