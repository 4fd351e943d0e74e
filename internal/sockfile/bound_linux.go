package sockfile

import (
	"encoding/binary"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// The parts of linux/unix_diag.h that BoundFile uses.
const (
	udiagShowVFS = 0x2 // UDIAG_SHOW_VFS: the file the socket is bound to
	unixDiagVFS  = 1   // UNIX_DIAG_VFS: struct unix_diag_vfs { __u32 vfs_ino, vfs_dev; }
	noCookie     = ^uint32(0)
)

// BoundFile returns the device and inode of the file that the unix socket open as fd made
// when it was bound, as the kernel keeps them (sock_diag's UNIX_DIAG_VFS): the very file,
// wherever its path leads now, in the form stat(2) gives (an inode's low 32 bits: the
// kernel says no more). It fails where the kernel has no unix sock_diag
// (CONFIG_UNIX_DIAG), and for a socket that is not bound to a path.
func BoundFile(fd int) (dev, ino uint64, err error) {
	fail := func(err error) (uint64, uint64, error) {
		return 0, 0, fmt.Errorf("find the file a socket is bound to: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fail(os.NewSyscallError("fstat", err))
	}
	nl, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return fail(os.NewSyscallError("socket", err))
	}
	defer unix.Close(nl)
	// struct nlmsghdr, then struct unix_diag_req asking for the socket of inode st.Ino.
	req := make([]byte, unix.NLMSG_HDRLEN+24)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], unix.SOCK_DIAG_BY_FAMILY)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST)
	ne.PutUint32(req[8:], 1) // sequence
	r := req[unix.NLMSG_HDRLEN:]
	r[0] = unix.AF_UNIX
	ne.PutUint32(r[4:], ^uint32(0)) // every state
	ne.PutUint32(r[8:], uint32(st.Ino))
	ne.PutUint32(r[12:], udiagShowVFS)
	ne.PutUint32(r[16:], noCookie)
	ne.PutUint32(r[20:], noCookie)
	if err := unix.Sendto(nl, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fail(os.NewSyscallError("sendto", err))
	}
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(nl, buf, 0)
	if err != nil {
		return fail(os.NewSyscallError("recvfrom", err))
	}
	msgs, err := syscall.ParseNetlinkMessage(buf[:n])
	if err != nil || len(msgs) == 0 {
		return fail(fmt.Errorf("an unreadable answer (%d bytes)", n))
	}
	m := msgs[0]
	if m.Header.Type == unix.NLMSG_ERROR && len(m.Data) >= 4 {
		return fail(os.NewSyscallError("sock_diag", unix.Errno(-int32(ne.Uint32(m.Data)))))
	}
	const msgLen = 16 // struct unix_diag_msg
	if m.Header.Type != unix.SOCK_DIAG_BY_FAMILY || len(m.Data) < msgLen || ne.Uint32(m.Data[4:]) != uint32(st.Ino) {
		return fail(fmt.Errorf("an answer about another socket"))
	}
	for a := m.Data[msgLen:]; len(a) >= 4; {
		l, typ := int(ne.Uint16(a)), ne.Uint16(a[2:])
		if l < 4 || l > len(a) {
			break
		}
		if typ == unixDiagVFS && l >= 12 {
			kdev := ne.Uint32(a[8:]) // the kernel's dev_t: major << 20 | minor
			return unix.Mkdev(kdev>>20, kdev&0xfffff), uint64(ne.Uint32(a[4:])), nil
		}
		a = a[min((l+3)&^3, len(a)):]
	}
	return fail(fmt.Errorf("the socket is bound to no file"))
}

// sameIno reports whether an inode as stat(2) gives it is ino as BoundFile gives it.
func sameIno(statIno, ino uint64) bool { return uint32(statIno) == uint32(ino) }
