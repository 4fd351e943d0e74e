package proc

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// ChildByInnerPID finds, among the children of parent (a pid as this process's namespace
// numbers it), the one whose pid in its own, innermost pid namespace is inner (the last
// field of NSpid in /proc/PID/status): how a supervisor in a container, which records its
// program's pid as the container numbers it, names it here. 0 if none is.
func ChildByInnerPID(parent, inner int) int {
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(parent) + "/task")
	if err != nil {
		return 0
	}
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(parent) + "/task/" + task.Name() + "/children")
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			child, err := strconv.Atoi(f)
			if err == nil && InnerPID(child) == inner {
				return child
			}
		}
	}
	return 0
}

// InnerPID is pid's pid in its innermost pid namespace (NSpid's last field): what a daemon
// in a container writes in its pidfile, where this caller's namespace numbers it pid. 0
// where it cannot be read.
func InnerPID(pid int) int {
	f, err := os.Open(StatusPath(pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "NSpid:"); ok {
			fields := strings.Fields(v)
			if len(fields) == 0 {
				return 0
			}
			n, _ := strconv.Atoi(fields[len(fields)-1])
			return n
		}
	}
	return 0
}
