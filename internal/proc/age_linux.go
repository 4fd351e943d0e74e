package proc

import (
	"time"

	"golang.org/x/sys/unix"
)

// userHZ is the unit of /proc/PID/stat's start time: USER_HZ, 100 on every Linux
// architecture Go runs on.
const userHZ = 100

// Age is how long ago pid started, from its start time in /proc/PID/stat (Stat.Age);
// false if it cannot be read.
func Age(pid int) (time.Duration, bool) {
	st, err := ReadStat(pid)
	if err != nil {
		return 0, false
	}
	return st.Age()
}

// Age is how long ago the process st was read of started: its start time against the
// time now on the same clock (Ticks, CLOCK_BOOTTIME, suspend included); false if the time
// cannot be read.
func (st Stat) Age() (time.Duration, bool) {
	now := Ticks()
	if now == 0 {
		return 0, false
	}
	return time.Duration(max(now, st.StartTime)-st.StartTime) * (time.Second / userHZ), true
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
