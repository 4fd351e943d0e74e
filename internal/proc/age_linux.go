package proc

import (
	"time"

	"golang.org/x/sys/unix"
)

// userHZ is the unit of /proc/PID/stat's start time: USER_HZ, 100 on every Linux
// architecture Go runs on.
const userHZ = 100

// Age is how long ago pid started, from its start time in /proc/PID/stat and the time
// now on the same clock (Ticks); false if either cannot be read.
func Age(pid int) (time.Duration, bool) {
	st, err := ReadStat(pid)
	now := Ticks()
	if err != nil || now == 0 {
		return 0, false
	}
	return time.Duration(max(now, st.StartTime)-st.StartTime) * (time.Second / userHZ), true
}

// Ticks is the time now in the unit and from the origin of ReadStat's start times (clock
// ticks after the host's boot, suspend included: CLOCK_BOOTTIME, without this process's
// time namespace's offset), or 0 if it cannot be read: a process whose start time is below
// it started before now.
func Ticks() uint64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0
	}
	return hostTicks(uint64(ts.Nano()) / uint64(time.Second/userHZ))
}
