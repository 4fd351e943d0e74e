package limits

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// resources are Linux's limits (getrlimit(2)), each with its ulimit flag (bash's).
var resources = []resource{
	{"CPU", "t", unix.RLIMIT_CPU, "seconds"}, {"FSIZE", "f", unix.RLIMIT_FSIZE, "bytes"},
	{"DATA", "d", unix.RLIMIT_DATA, "bytes"}, {"STACK", "s", unix.RLIMIT_STACK, "bytes"},
	{"CORE", "c", unix.RLIMIT_CORE, "bytes"}, {"RSS", "m", unix.RLIMIT_RSS, "bytes"},
	{"NPROC", "u", unix.RLIMIT_NPROC, ""}, {"NOFILE", "n", unix.RLIMIT_NOFILE, ""},
	{"MEMLOCK", "l", unix.RLIMIT_MEMLOCK, "bytes"}, {"AS", "v", unix.RLIMIT_AS, "bytes"},
	{"LOCKS", "x", unix.RLIMIT_LOCKS, ""}, {"SIGPENDING", "i", unix.RLIMIT_SIGPENDING, ""},
	{"MSGQUEUE", "q", unix.RLIMIT_MSGQUEUE, "bytes"}, {"NICE", "e", unix.RLIMIT_NICE, ""},
	{"RTPRIO", "r", unix.RLIMIT_RTPRIO, ""}, {"RTTIME", "R", unix.RLIMIT_RTTIME, "microseconds"},
}

// Current is this process's limits, each as its caller gave it. The open-files one's soft
// value is left out where the Go runtime raised it as this process started (to one below
// the hard limit, which it then reads as): what it was is the runtime's alone to know (it
// puts it back in every process it starts), so a raised one is not kept.
func Current() []Limit {
	var out []Limit
	for _, r := range resources {
		soft, hard, err := get(r)
		if err != nil {
			continue
		}
		l := Limit{Name: r.name, Soft: &soft, Hard: hard}
		if r.name == "NOFILE" && hard != Infinity && soft+1 == hard {
			l.Soft = nil
		}
		out = append(out, l)
	}
	return out
}

func get(r resource) (soft, hard uint64, err error) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(r.num, &rl); err != nil {
		return 0, 0, err
	}
	return rl.Cur, rl.Max, nil
}

// set sets r through syscall.Setrlimit, which for the open-files limit also tells the Go
// runtime to leave it as it is in the processes it starts.
func set(r resource, soft, hard uint64) error {
	return syscall.Setrlimit(r.num, &syscall.Rlimit{Cur: soft, Max: hard})
}

// privileged says whether this process may raise a hard limit: it has CAP_SYS_RESOURCE
// (root has it, unless a container took it away, as Docker does not but many do).
func privileged() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return os.Geteuid() == 0
	}
	return data[0].Effective&(1<<unix.CAP_SYS_RESOURCE) != 0
}
