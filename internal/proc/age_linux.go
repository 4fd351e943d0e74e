package proc

import (
	"bytes"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// userHZ is the unit of /proc/PID/stat's start time: USER_HZ, 100 on every Linux
// architecture Go runs on.
const userHZ = 100

// Age is how long ago pid started, from its start time in /proc/PID/stat and the
// system's uptime; false if either cannot be read.
func Age(pid int) (time.Duration, bool) {
	st, err := ReadStat(pid)
	if err != nil {
		return 0, false
	}
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0, false
	}
	up, _, _ := bytes.Cut(b, []byte(" "))
	secs, err := strconv.ParseFloat(string(up), 64)
	if err != nil {
		return 0, false
	}
	started := time.Duration(st.StartTime) * time.Second / userHZ
	return max(time.Duration(secs*float64(time.Second))-started, 0), true
}

// Ticks is the time now in the unit and from the origin of /proc/PID/stat's start time
// (clock ticks after boot, suspend included: CLOCK_BOOTTIME), or 0 if it cannot be read:
// a process whose start time is below it started before now.
func Ticks() uint64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0
	}
	return uint64(ts.Nano()) / uint64(time.Second/userHZ)
}
