package proc

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
)

// TasksOf counts the tasks (threads) whose real user is uid, as RLIMIT_NPROC counts them:
// each process's Threads in /proc/PID/status when its Uid line's first field is uid. ok
// is false if /proc cannot be read.
func TasksOf(uid int) (n int, ok bool) {
	pids := allPIDs()
	if pids == nil {
		return 0, false
	}
	want := []byte(strconv.Itoa(uid))
	for _, pid := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		if err != nil {
			continue // gone since
		}
		mine, threads := false, 0
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			line := sc.Bytes()
			if rest, found := bytes.CutPrefix(line, []byte("Uid:")); found {
				fields := bytes.Fields(rest)
				mine = len(fields) > 0 && bytes.Equal(fields[0], want)
			} else if rest, found := bytes.CutPrefix(line, []byte("Threads:")); found {
				threads, _ = strconv.Atoi(string(bytes.TrimSpace(rest)))
			}
		}
		if mine {
			n += max(threads, 1)
		}
	}
	return n, true
}
