//go:build unix

package activation

import (
	"math"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// listenFDsStart is the first inherited descriptor (SD_LISTEN_FDS_START in sd-daemon.h).
const listenFDsStart = 3

// files reads the descriptors this process was given by systemd's socket-activation
// protocol (sd_listen_fds(3)), in the order they were given, and unsets LISTEN_PID,
// LISTEN_FDS and LISTEN_FDNAMES whatever it finds, so that no child takes them for its own.
// It is our own reader, in place of go-systemd's activation.Files(true), whose package
// imports crypto/tls and would bring the whole of crypto into every daemonkit process; it
// keeps that function's results, so nothing built on it changes:
//
//   - nothing unless LISTEN_PID is this process's pid, in decimal;
//   - nothing unless LISTEN_FDS is a decimal count above zero: garbage, zero and negative
//     counts give nothing;
//   - the descriptors are LISTEN_FDS of them from 3 up, each made close-on-exec;
//   - each is named by its entry in LISTEN_FDNAMES (colon-separated, in order); one with
//     no entry, or an empty one, is named "LISTEN_FD_<descriptor>", e.g. "LISTEN_FD_3".
//
// It departs from go-systemd only where the environment does not match the descriptors.
// A count that runs past the largest descriptor (a C int) gives nothing, as in
// sd_listen_fds, where go-systemd would try to allocate room for that many files. A
// descriptor in the range that is not open (fcntl says EBADF) is left out, where
// go-systemd hands out a file for it: that file would close whatever the number names
// later, e.g. the duplicate net.FileListener makes of another inherited socket, which
// would then be handed out twice and its first listener's descriptor closed.
func files() []*os.File {
	defer func() {
		// os.Unsetenv cannot fail for these names on Unix.
		_ = os.Unsetenv("LISTEN_PID")
		_ = os.Unsetenv("LISTEN_FDS")
		_ = os.Unsetenv("LISTEN_FDNAMES")
	}()

	pid, err := strconv.Atoi(os.Getenv("LISTEN_PID"))
	if err != nil || pid != os.Getpid() {
		return nil
	}
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	// A descriptor is a C int: as sd_listen_fds does, refuse a count that runs past it.
	if err != nil || n <= 0 || n > math.MaxInt32-listenFDsStart {
		return nil
	}
	names := strings.Split(os.Getenv("LISTEN_FDNAMES"), ":")

	var fs []*os.File // not sized by n: n comes from the environment
	for i := range n {
		fd := listenFDsStart + i
		// FD_CLOEXEC is the only descriptor flag, so setting it alone loses nothing.
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err == unix.EBADF {
			continue
		}
		name := "LISTEN_FD_" + strconv.Itoa(fd)
		if i < len(names) && names[i] != "" {
			name = names[i]
		}
		fs = append(fs, os.NewFile(uintptr(fd), name))
	}
	return fs
}
