package pidfile

import "golang.org/x/sys/unix"

// systemPidMax reads the sysctl kern.pid_max, 99999 (the default) if it cannot.
func systemPidMax() int {
	v, err := unix.SysctlUint32("kern.pid_max")
	if err != nil || v < 2 || v > 1<<30 {
		return 99999
	}
	return int(v)
}
