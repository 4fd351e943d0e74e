package proc

import "golang.org/x/sys/unix"

// sZomb is SZOMB of <sys/proc.h>: p_stat of a process that has exited and awaits its reaper.
const sZomb = 5

// zombie reports whether pid is a zombie, from the kern.proc.pid sysctl. When the sysctl
// fails, it says no: the process was just seen by kill(2).
func zombie(pid int) bool {
	kp, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	return err == nil && kp.Proc.P_stat == sZomb
}
