package proc

import (
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
)

// netTCP is /proc/net/tcp as a little-endian machine prints it: a listener on
// 127.0.0.1:8000 (inode 101), one on 0.0.0.0:8000 (102), one on 0.0.0.0:9000 (103), an
// established connection from 127.0.0.1:8000 (104), and a line cut short.
const netTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 101 1 0000000000000000 100 0 0 10 0
   1: 00000000:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 102 1 0000000000000000 100 0 0 10 0
   2: 00000000:2328 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 103 1 0000000000000000 100 0 0 10 0
   3: 0100007F:1F40 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 104 1 0000000000000000 20 4 30 10 -1
   4: 0100007F:1F41 00000000:0000 0A
`

// netTCP6 is /proc/net/tcp6 as a little-endian machine prints it: a listener on
// [::]:8000 (201), one on [::1]:9000 (202), one on [::ffff:127.0.0.1]:9100 (203), and a
// line whose address is not hex.
const netTCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F40 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 201 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:2328 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 202 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:238C 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 203 1 0000000000000000 100 0 0 10 0
   3: 0000000000000000FFFF0000ZZZZZZZZ:238C 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 204 1 0000000000000000 100 0 0 10 0
`

// TestParseNetTCP: each readable line gives its local address, state and inode; a line
// cut short or with an address that is not hex is left out; a v4-mapped address reads as
// IPv4.
func TestParseNetTCP(t *testing.T) {
	got := parseNetTCP(strings.NewReader(netTCP+strings.SplitN(netTCP6, "\n", 2)[1]), binary.LittleEndian)
	want := []tcpSocket{
		{netip.MustParseAddrPort("127.0.0.1:8000"), tcpListen, 101},
		{netip.MustParseAddrPort("0.0.0.0:8000"), tcpListen, 102},
		{netip.MustParseAddrPort("0.0.0.0:9000"), tcpListen, 103},
		{netip.MustParseAddrPort("127.0.0.1:8000"), 0x01, 104},
		{netip.MustParseAddrPort("[::]:8000"), tcpListen, 201},
		{netip.MustParseAddrPort("[::1]:9000"), tcpListen, 202},
		{netip.MustParseAddrPort("127.0.0.1:9100"), tcpListen, 203},
	}
	if !slices.Equal(got, want) {
		t.Errorf("parseNetTCP:\n got %v\nwant %v", got, want)
	}
}

// TestParseNetTCPBigEndian: a big-endian kernel prints each word's bytes in address
// order.
func TestParseNetTCPBigEndian(t *testing.T) {
	const line = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
		"   0: 7F000001:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 7 1 0 100 0 0 10 0\n"
	got := parseNetTCP(strings.NewReader(line), binary.BigEndian)
	if want := []tcpSocket{{netip.MustParseAddrPort("127.0.0.1:8000"), tcpListen, 7}}; !slices.Equal(got, want) {
		t.Errorf("parseNetTCP: got %v, want %v", got, want)
	}
}

// TestListenersOf: a listener on the address itself comes before a wildcard one; "::"
// takes IPv4 and IPv6, "0.0.0.0" IPv4 only; connections and other ports are not
// listeners of it.
func TestListenersOf(t *testing.T) {
	socks := parseNetTCP(strings.NewReader(netTCP), binary.LittleEndian)
	socks = append(socks, parseNetTCP(strings.NewReader(netTCP6), binary.LittleEndian)...)
	for _, c := range []struct {
		addr string
		want []uint64
	}{
		{"127.0.0.1:8000", []uint64{101, 102, 201}},
		{"10.1.2.3:8000", []uint64{102, 201}},
		{"[::1]:8000", []uint64{201}},
		{"[::1]:9000", []uint64{202}},
		{"127.0.0.1:9000", []uint64{103}},
		{"127.0.0.1:9100", []uint64{203}},
		{"[::ffff:127.0.0.1]:9100", []uint64{203}},
		{"127.0.0.1:8001", nil},
	} {
		if got := listenersOf(socks, netip.MustParseAddrPort(c.addr)); !slices.Equal(got, c.want) {
			t.Errorf("listenersOf(%s) = %v, want %v", c.addr, got, c.want)
		}
	}
}

// TestTCPListener: a socket this process listens on is found, named by this process's pid
// and command line; a port nobody listens on is not.
func TestTCPListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddrPort(ln.Addr().String())
	pid, command, ok := TCPListener(addr)
	if !ok || pid != os.Getpid() || !strings.HasPrefix(command, os.Args[0]) {
		t.Errorf("TCPListener(%s) = %d, %q, %v; want %d, %q..., true", addr, pid, command, ok, os.Getpid(), os.Args[0])
	}
	ln.Close()
	if pid, command, ok := TCPListener(addr); ok {
		t.Errorf("TCPListener(%s) after close = %d, %q, true; want none", addr, pid, command)
	}
}
