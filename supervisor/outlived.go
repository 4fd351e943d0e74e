package supervisor

import (
	"fmt"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/instance"
)

// whyOutlived is instance.WaitsInKernel; a test may replace it (a process stuck in the
// kernel cannot be made at will).
var whyOutlived = instance.WaitsInKernel

// sayOutlived logs msg, at level, for left, the processes a SIGKILL left running within
// killBound: their pids, and, for each that waits in the kernel (state D), why, in the
// words stop uses. Nothing when left is empty.
func sayOutlived(log hclog.Logger, level hclog.Level, msg string, left []int, args ...any) {
	if len(left) == 0 {
		return
	}
	args = append(args, "pids", left, "within", killBound.String())
	var whys []string
	for _, pid := range left {
		if why := whyOutlived(pid); why != "" {
			whys = append(whys, fmt.Sprintf("pid %d: %s", pid, why))
		}
	}
	if len(whys) > 0 {
		args = append(args, "why", whys)
	}
	log.Log(level, msg, args...)
}

// killGroup kills the process group of the copy p, and what is left of it (see
// reaper.killGroup), and says in the log what outlived that, which the supervisor goes on
// beside: a process stuck in the kernel may still hold what it held (a port, a file lock).
func (r *run) killGroup(p *program) {
	left := r.reaper.killGroup(p.pid, p.exited, p.gen)
	sayOutlived(r.log, hclog.Warn, "processes of a copy's process group outlived SIGKILL; going on without them", left,
		"pid", p.pid, "generation", p.gen)
}
