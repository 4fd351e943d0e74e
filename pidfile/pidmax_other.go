//go:build !linux && !darwin && !freebsd

package pidfile

// systemPidMax is a conservative 99999 where the limit is not looked up.
func systemPidMax() int { return 99999 }
