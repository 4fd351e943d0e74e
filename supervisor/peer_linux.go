package supervisor

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// peerCred is the credentials of the process at the other end of c (SO_PEERCRED: its
// pid as this process's namespace sees it, 0 if it cannot).
func peerCred(c *net.UnixConn) (*unix.Ucred, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return nil, err
	}
	return cred, credErr
}

// peerAllowed admits a client running as this process's user, or as root.
func peerAllowed(c *net.UnixConn) error {
	cred, err := peerCred(c)
	if err != nil {
		return err
	}
	if int(cred.Uid) != os.Geteuid() && cred.Uid != 0 {
		return errors.New("not permitted: uid " + strconv.Itoa(int(cred.Uid)))
	}
	return nil
}

// ControlPeer checks, for a client of the control socket, that the process at the other
// end of c is pid, the instance's supervisor (the holder of its pidfile's lock), which
// made the socket: a socket another process bound at the control socket's path once the
// supervisor's was deleted (another user's, in a state directory such as /tmp) must be
// told nothing (an upgrade's command line) and believed in nothing (a forged success).
func ControlPeer(c *net.UnixConn, pid int) error {
	cred, err := peerCred(c)
	if err != nil {
		return err
	}
	if int(cred.Pid) != pid {
		return fmt.Errorf("%w: it is process %d's (uid %d), not the supervisor's (pid %d)", ErrControlPeer, cred.Pid, cred.Uid, pid)
	}
	return nil
}
