package cli

import (
	"os"

	"github.com/daemonkit/daemonkit/internal/proc"
	"golang.org/x/sys/unix"
)

// atTerminal says whether this process has a controlling terminal, or one of its standard
// descriptors is a terminal: it was typed at a shell.
func atTerminal() bool {
	if st, err := proc.ReadStat(os.Getpid()); err == nil && st.TTY != 0 {
		return true
	}
	for fd := 0; fd <= 2; fd++ {
		if _, err := unix.IoctlGetTermios(fd, unix.TCGETS); err == nil {
			return true
		}
	}
	return false
}
