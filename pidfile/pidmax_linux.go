package pidfile

import (
	"os"
	"strconv"
	"strings"
)

// pidMaxLimit is PID_MAX_LIMIT on 64-bit Linux, the most pid_max can be set to: used when
// /proc/sys/kernel/pid_max cannot be read, so that no real pid is ever rejected.
const pidMaxLimit = 4194304

// systemPidMax reads /proc/sys/kernel/pid_max.
func systemPidMax() int {
	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		return pidMaxLimit
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || v < 2 || v > pidMaxLimit {
		return pidMaxLimit
	}
	return v
}
