package launcher

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// removeUnused removes path, the file made (an empty log this launch made), if no process
// has it open for writing: another start may have opened it since (two instances with one
// --log), whose daemon writes to it, and must not be left writing to a file nobody can
// find. It asks the kernel for a write lease, which it grants only on a file open for
// writing nowhere else, and holds it while it removes the file. Where leases are not to be
// had (fs.leases-enable, another owner), it removes nothing.
func removeUnused(path string, made os.FileInfo) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	was, ok := made.Sys().(*syscall.Stat_t)
	if !ok || st.Dev != was.Dev || st.Ino != was.Ino || st.Size != 0 {
		return errors.New("no longer the empty log this launch made")
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETLEASE, unix.F_WRLCK); err != nil {
		return errors.New("it is open elsewhere (or no lease can be had): left in place")
	}
	defer unix.FcntlInt(uintptr(fd), unix.F_SETLEASE, unix.F_UNLCK) //nolint:errcheck // released by the close too
	return unix.Unlink(path)
}
