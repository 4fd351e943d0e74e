package pidfile

// systemPidMax is PID_MAX on macOS, which is fixed.
func systemPidMax() int { return 99999 }
