package notify

import "github.com/daemonkit/daemonkit/internal/proc"

// maxDepth bounds the walk up the process tree.
const maxDepth = 1024

// Descendant returns an Accept function that accepts root itself and every process
// descending from it, as /proc/PID/stat says at the moment of the call: it walks the
// parents from pid up to root, stopping at pid 1 or after 1024 steps. A root below 1
// accepts nothing.
//
// What cannot be proven is refused: a pid that no longer exists (a sender that sent and
// exited before its datagram was read, such as `systemd-notify --no-block`; systemd would
// still know it by its cgroup), and a process whose ancestors between it and root exited,
// for it was reparented to init or to the nearest subreaper. A zombie still has its parent
// and counts. systemd-notify without --no-block waits for the answer to its BARRIER=1, so
// it is alive while its READY=1 and its barrier are checked (Receive closes the barrier's
// descriptor after the checks).
func Descendant(root int) func(pid int) bool {
	return func(pid int) bool {
		if root < 1 {
			return false
		}
		for range maxDepth {
			if pid == root {
				return true
			}
			if pid <= 1 {
				return false
			}
			st, err := proc.ReadStat(pid)
			if err != nil {
				return false
			}
			pid = st.PPID
		}
		return false
	}
}
