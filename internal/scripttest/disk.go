//go:build linux

package scripttest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// tmpfs DIR SIZE: mounts a tmpfs of SIZE (as mount -o size= takes it: 64k) on DIR, made
// if missing, and unmounts it when the script ends. Root only: guard it with [root].
func cmdTmpfs(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: tmpfs DIR SIZE")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	ts.Check(unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size="+args[1]+",mode=0755"))
	ts.Defer(func() { _ = unix.Unmount(dir, unix.MNT_DETACH) })
}

// fill DIR: fills DIR's file system to the last byte with DIR/.fill; `! fill DIR` removes
// that file again, freeing the space.
func cmdFill(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: [!] fill DIR")
	}
	path := filepath.Join(ts.MkAbs(args[0]), ".fill")
	if neg {
		ts.Check(os.Remove(path))
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	ts.Check(err)
	defer f.Close()
	block := bytes.Repeat([]byte{'x'}, 4096)
	for _, size := range []int{4096, 1} { // pages while they fit, then the last bytes one by one
		for {
			if _, err := f.Write(block[:size]); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					ts.Fatalf("fill %s: %v", args[0], err)
				}
				break
			}
		}
	}
}

// fatfs DIR: makes a 64 MiB FAT file system in an image file beside DIR and mounts it on
// DIR, made if missing, with fusefat (read-write), and unmounts it when the script ends: a
// file system that folds case and has no file modes, hard links, symlinks or Unix sockets.
// Root only, and it needs /dev/fuse, mkfs.vfat and fusefat: guard it with [root], [fuse],
// [exec:mkfs.vfat] and [exec:fusefat].
func cmdFatfs(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: fatfs DIR")
	}
	unmount, err := testutil.MountFAT(ts.MkAbs(args[0]))
	ts.Check(err)
	ts.Defer(unmount)
}

// fatMountable reports, trying once per process, whether fatfs can mount a FAT file system
// here: root, /dev/fuse, mkfs.vfat and fusefat are not enough where the mount itself is
// refused (a root without CAP_SYS_ADMIN, as in a container given /dev/fuse).
var fatMountable = sync.OnceValue(func() bool {
	if os.Geteuid() != 0 {
		return false
	}
	for _, prog := range []string{"mkfs.vfat", "fusefat"} {
		if _, err := exec.LookPath(prog); err != nil {
			return false
		}
	}
	dir, err := os.MkdirTemp("", "fatprobe")
	if err != nil {
		return false
	}
	defer os.RemoveAll(dir)
	unmount, err := testutil.MountFAT(filepath.Join(dir, "fat"))
	if err != nil {
		return false
	}
	unmount()
	return true
})
