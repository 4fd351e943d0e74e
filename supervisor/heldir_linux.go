package supervisor

import "golang.org/x/sys/unix"

// heldDirFlags open a directory that is held to work in it (openat, fstatat, unlinkat):
// O_PATH takes only the right to reach it, as those calls need, not to list it, so a
// directory of mode 0300 (wx) serves as it did by its path.
const heldDirFlags = unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC
