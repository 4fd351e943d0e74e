//go:build !linux

package supervisor

import "golang.org/x/sys/unix"

// heldDirFlags open a directory that is held to work in it (openat, fstatat, unlinkat).
const heldDirFlags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC
