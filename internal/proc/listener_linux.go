package proc

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"io"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
)

// TCPListener names the process that listens where a connection to addr lands, as far as
// this network namespace's /proc says: a socket in state LISTEN in /proc/net/tcp or tcp6
// on addr's port, bound to addr's IP or else to a wildcard address, and the process with a
// descriptor on it (/proc/PID/fd/N, "socket:[INODE]"), the one that opened it rather than
// the workers it forked (see socketOwner). It returns the process's pid and
// command line (its arguments joined by blanks, at most maxCommand bytes), or ok false
// when none is found or what it takes cannot be read, such as another user's descriptors
// without privilege: it never fails louder than that.
func TCPListener(addr netip.AddrPort) (pid int, command string, ok bool) {
	var socks []tcpSocket
	for _, path := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(path)
		if err != nil {
			continue // no IPv6 in this kernel, say
		}
		socks = append(socks, parseNetTCP(f, binary.NativeEndian)...)
		f.Close()
	}
	inodes := listenersOf(socks, addr)
	if len(inodes) == 0 {
		return 0, "", false
	}
	for _, inode := range inodes {
		if pid = socketOwner(inode); pid > 0 {
			return pid, commandLine(pid), true
		}
	}
	return 0, "", false
}

// maxCommand bounds the command line TCPListener returns.
const maxCommand = 200

// tcpListen is the state of a listening socket in /proc/net/tcp (TCP_LISTEN).
const tcpListen = 0x0A

// tcpSocket is one line of /proc/net/tcp or tcp6: a socket's local address, its state
// and its inode.
type tcpSocket struct {
	local netip.AddrPort
	state uint8
	inode uint64
}

// parseNetTCP reads the lines of /proc/net/tcp or tcp6 after the header. The kernel
// prints an address as 32-bit words in hex, each in its own byte order, order. A line it
// cannot read is left out.
func parseNetTCP(r io.Reader, order binary.ByteOrder) []tcpSocket {
	var out []tcpSocket
	sc := bufio.NewScanner(r)
	sc.Scan() // the header
	for sc.Scan() {
		// "0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000 1000 0 12345 ..."
		f := strings.Fields(sc.Text())
		if len(f) < 10 {
			continue
		}
		local, ok := parseHexAddr(f[1], order)
		state, err1 := strconv.ParseUint(f[3], 16, 8)
		inode, err2 := strconv.ParseUint(f[9], 10, 64)
		if !ok || err1 != nil || err2 != nil {
			continue
		}
		out = append(out, tcpSocket{local: local, state: uint8(state), inode: inode})
	}
	return out
}

// parseHexAddr reads "0100007F:1F40" (IPv4) or 32 hex digits, a colon and a port (IPv6),
// the address's 32-bit words each in byte order order; an IPv4 address mapped into IPv6
// (a dual-stack socket's) comes back as plain IPv4.
func parseHexAddr(s string, order binary.ByteOrder) (netip.AddrPort, bool) {
	ipHex, portHex, ok := strings.Cut(s, ":")
	if !ok || (len(ipHex) != 8 && len(ipHex) != 32) {
		return netip.AddrPort{}, false
	}
	raw, err := hex.DecodeString(ipHex)
	port, perr := strconv.ParseUint(portHex, 16, 16)
	if err != nil || perr != nil {
		return netip.AddrPort{}, false
	}
	for i := 0; i < len(raw); i += 4 {
		order.PutUint32(raw[i:], binary.BigEndian.Uint32(raw[i:])) // the word's value, laid out as the kernel holds it
	}
	ip, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(ip.Unmap(), uint16(port)), true
}

// listenersOf is the inodes of the listening sockets a connection to addr may land on:
// those bound to its IP first, then those bound to a wildcard address, on its port.
func listenersOf(socks []tcpSocket, addr netip.AddrPort) []uint64 {
	want := addr.Addr().Unmap()
	var exact, wild []uint64
	for _, s := range socks {
		if s.state != tcpListen || s.local.Port() != addr.Port() {
			continue
		}
		switch ip := s.local.Addr(); {
		case ip == want:
			exact = append(exact, s.inode)
		case ip.IsUnspecified() && (ip.Is6() || want.Is4()): // "::" takes IPv4 too, unless IPV6_V6ONLY
			wild = append(wild, s.inode)
		}
	}
	return append(exact, wild...)
}

// socketOwner is the process with a descriptor on the socket inode whose parent has
// none (the one that opened it, not the workers it forked), or the first of them; 0 if
// none can be found.
func socketOwner(inode uint64) int {
	holders := socketHolders("socket:[" + strconv.FormatUint(inode, 10) + "]")
	for _, pid := range holders {
		if st, err := ReadStat(pid); err == nil && !slices.Contains(holders, st.PPID) {
			return pid
		}
	}
	if len(holders) == 0 {
		return 0
	}
	return holders[0]
}

// socketHolders lists, lowest first, the processes (this one included) with a descriptor
// whose link reads link; those whose descriptors cannot be read are left out.
func socketHolders(link string) []int {
	var pids []int
	for _, pid := range allPIDs() {
		dir := "/proc/" + strconv.Itoa(pid) + "/fd/"
		fds, err := os.ReadDir(dir)
		if err != nil {
			continue // another user's, without privilege, or gone
		}
		for _, fd := range fds {
			if target, err := os.Readlink(dir + fd.Name()); err == nil && target == link {
				pids = append(pids, pid)
				break
			}
		}
	}
	slices.Sort(pids)
	return pids
}

// commandLine is pid's command line, its arguments joined by blanks, at most maxCommand
// bytes; "" if it cannot be read.
func commandLine(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return ""
	}
	b = bytes.TrimRight(b, "\x00")
	if len(b) > maxCommand {
		b = b[:maxCommand]
	}
	return strings.ToValidUTF8(string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})), "?")
}
