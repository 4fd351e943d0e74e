package testutil

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// MountFAT makes a 64 MiB FAT file system in an image file beside dir and mounts it on
// dir, made if missing, with fusefat (read-write): a file system that folds case and has
// no file modes, hard links, symlinks or Unix sockets. It needs root, /dev/fuse, mkfs.vfat
// and fusefat. The caller unmounts it with unmount, always.
func MountFAT(dir string) (unmount func(), err error) {
	image := dir + ".img"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(image, nil, 0o600); err != nil {
		return nil, err
	}
	if err := os.Truncate(image, 64<<20); err != nil {
		return nil, err
	}
	for _, cmd := range [][]string{{"mkfs.vfat", image}, {"fusefat", "-o", "rw+", image, dir}} {
		if out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("%s: %w\n%s", cmd[0], err, out)
		}
	}
	unmount = func() { _ = unix.Unmount(dir, unix.MNT_DETACH) }
	// fusefat exits 0 once it has forked, before its mount is made or refused (a root
	// without CAP_SYS_ADMIN, a container given /dev/fuse): the mount is there only when
	// dir is a FUSE file system.
	deadline := time.Now().Add(mountWait)
	for !isFUSE(dir) {
		if time.Now().After(deadline) {
			unmount()
			return nil, fmt.Errorf("%w: %s is no FUSE file system %s after fusefat", ErrNotMounted, dir, mountWait)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return unmount, nil
}

// ErrNotMounted means fusefat ran but its mount never appeared: this machine cannot mount
// FUSE file systems (FATDir skips then).
var ErrNotMounted = errors.New("the FAT file system was not mounted")

// mountWait bounds how long MountFAT waits for fusefat's mount to appear.
const mountWait = 5 * time.Second

// isFUSE reports whether dir is on a FUSE file system.
func isFUSE(dir string) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && uint32(st.Type) == unix.FUSE_SUPER_MAGIC
}

// FATDir is a directory on a FAT file system mounted for t (MountFAT), unmounted when t
// ends; it skips t where one cannot be mounted (not root, no /dev/fuse, mkfs.vfat or fusefat).
func FATDir(t testing.TB) string {
	if os.Geteuid() != 0 {
		t.Skip("mounting a FUSE file system needs root")
	}
	for _, prog := range []string{"mkfs.vfat", "fusefat"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Skipf("no %s", prog)
		}
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skip("no /dev/fuse")
	}
	dir := t.TempDir() + "/fat"
	unmount, err := MountFAT(dir)
	if errors.Is(err, ErrNotMounted) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unmount)
	return dir
}
