package proc

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"sync"
	"time"
)

// bootOffset is this process's time namespace's offset of CLOCK_BOOTTIME, in clock ticks
// (see timeNSOffset), read once.
var bootOffset = sync.OnceValue(func() uint64 {
	b, err := os.ReadFile("/proc/self/timens_offsets")
	if err != nil {
		return 0 // a kernel before 5.6: no time namespaces
	}
	return timeNSOffset(b, sameTimeNS())
})

// sameTimeNS reports whether this process is in the time namespace its children get:
// /proc/self/timens_offsets tells the latter's offsets, which are this process's own only
// then (not after an unshare(CLONE_NEWTIME) without a fork, which daemonkit never does).
func sameTimeNS() bool {
	own, err1 := os.Readlink("/proc/self/ns/time")
	children, err2 := os.Readlink("/proc/self/ns/time_for_children")
	return err1 == nil && err2 == nil && own == children
}

// timeNSOffset returns the boottime offset that a /proc/PID/timens_offsets file b gives,
// in clock ticks, rounded down; 0 unless it is the reader's own (same), for none, and for
// a negative one (a namespace whose boot clock reads earlier than the host's: the kernel
// only allows it as far as that clock is not negative, which no start time read there is).
//
// Linux adds the reader's offset to every start time in /proc/PID/stat, and to
// CLOCK_BOOTTIME and /proc/uptime (time_namespaces(7)): a process in a time namespace
// (`unshare --time --boottime N`, a container restored by CRIU) reads another start time
// for the same process than one outside it does. Taking the offset off makes both read
// the host's: the same number for the same process, whoever reads it.
func timeNSOffset(b []byte, same bool) uint64 {
	if !same {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) != 3 || string(f[0]) != "boottime" {
			continue
		}
		secs, err1 := strconv.ParseInt(string(f[1]), 10, 64)
		nsecs, err2 := strconv.ParseInt(string(f[2]), 10, 64)
		d := time.Duration(secs)*time.Second + time.Duration(nsecs)
		if err1 != nil || err2 != nil || d <= 0 {
			return 0
		}
		return uint64(d / (time.Second / userHZ))
	}
	return 0
}

// hostTicks turns ticks read in this process's time namespace (a start time in
// /proc/PID/stat, CLOCK_BOOTTIME) into the host's, which every namespace agrees on.
func hostTicks(t uint64) uint64 {
	if off := bootOffset(); t > off {
		return t - off
	}
	return t
}
