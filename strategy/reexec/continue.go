package reexec

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"

	"github.com/daemonkit/daemonkit/handshake"
	"github.com/daemonkit/daemonkit/internal/limits"
	"github.com/daemonkit/daemonkit/strategy"
)

// Continue is the intermediate's whole life, for the hidden command Command; args are what
// follows it. It starts the daemon, this binary again (/proc/self/exe on Linux) with the
// original argv[0] followed by args, with its own descriptors 0, 1, 2 and 3 (the handshake)
// and nothing else, the same environment and working directory, and no new session: the
// daemon is thus in the intermediate's session without leading it. It tells the launcher the
// daemon's pid at once, so that even a daemon that hangs before it speaks can be killed,
// and returns 0 without waiting for it. If it cannot start the daemon, it reports why down
// the handshake and returns 1. The caller exits with the code it returns.
func Continue(args []string) int {
	rep, err := handshake.OpenReporter(handshake.FD)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s %s: %v\n", os.Args[0], Command, err)
		return 1
	}
	// The daemon's descriptor 3. ready and rep share the descriptor: keep ready from being
	// finalized (which would close it) before the last report is written.
	ready := os.NewFile(uintptr(handshake.FD), "handshake")
	defer runtime.KeepAlive(ready)
	pid, err := startDaemon(args, ready)
	if err != nil {
		_ = rep.Fail(startFailed(err, os.Getpid())) // if Launch is gone, there is nobody left to tell
		return 1
	}
	_ = rep.Started(pid)
	return 0
}

// startFailed is what the launcher is told when the intermediate pid could not start the
// daemon with err: that it is the intermediate's fork that failed, not the launcher's nor
// the daemon's (start says no more than the report), and, where a limit on processes
// refused it (EAGAIN), which one and how to raise it (limits.ExplainProcs, as the
// launcher says it of its own fork). No other strategy gets past that limit: setsid's
// daemon, at the same one, cannot make its threads.
func startFailed(err error, pid int) error {
	if !errors.Is(err, syscall.EAGAIN) {
		return fmt.Errorf("the reexec strategy's intermediate process (pid %d) could not start the daemon: %w", pid, err)
	}
	return fmt.Errorf("the reexec strategy's intermediate process (pid %d) could not fork the daemon (EAGAIN): %w",
		pid, limits.ExplainProcs(err, os.Getuid()))
}

// startDaemon starts `ARGV0 args...` with descriptors 0-2 and ready as 3, and returns its pid.
func startDaemon(args []string, ready *os.File) (int, error) {
	if len(args) == 0 {
		return 0, errors.New("no daemon command after " + Command)
	}
	self, err := strategy.Executable()
	if err != nil {
		return 0, err
	}
	cmd := &exec.Cmd{
		Path:       self,
		Args:       append([]string{os.Args[0]}, args...),
		Stdin:      os.Stdin,
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		ExtraFiles: []*os.File{ready},
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	return cmd.Process.Pid, nil
}
