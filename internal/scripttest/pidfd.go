//go:build linux

package scripttest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// waitpidfd PID ARG...: waits, with a deadline, until a process of this script (its
// environment holds the script's $WORK) whose command line is ARG... (its argv[0] compared
// by base name) holds a pidfd of PID: a command run in the background, such as a second
// stop, has found and opened the process it acts on, and what it does next it does to that
// process, whatever happens to it meanwhile. It is what a script waits on before it lets
// that process go on (ends its drain, say), where the command could otherwise come too
// late on a loaded machine and find it gone.
func cmdWaitpidfd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: waitpidfd PID ARG...")
	}
	target := atoiArg(ts, args[0])
	want, work := args[1:], "WORK="+ts.Getenv("WORK")
	deadline := time.Now().Add(scriptDeadline)
	for backoff := time.Millisecond; ; backoff = min(2*backoff, 50*time.Millisecond) {
		for _, pid := range procPIDs() {
			if runsAs(pid, want, work) && holdsPidfd(pid, target) {
				return
			}
		}
		if time.Now().After(deadline) {
			ts.Fatalf("no process %q of this script holds a pidfd of pid %d after %s", strings.Join(want, " "), target, scriptDeadline)
		}
		time.Sleep(backoff) // nothing tells of a descriptor opened: polled, with a deadline
	}
}

// runsAs reports whether pid's command line is want (argv[0] by base name) and its
// environment holds work ("WORK=...").
func runsAs(pid int, want []string, work string) bool {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	argv := strings.Split(strings.TrimSuffix(string(raw), "\x00"), "\x00")
	if len(argv) != len(want) || filepath.Base(argv[0]) != filepath.Base(want[0]) {
		return false
	}
	for i := 1; i < len(argv); i++ {
		if argv[i] != want[i] {
			return false
		}
	}
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	return err == nil && bytes.Contains(append([]byte{0}, env...), []byte("\x00"+work+"\x00"))
}

// holdsPidfd reports whether pid holds a pidfd of target: a descriptor whose fdinfo says
// "Pid: target".
func holdsPidfd(pid, target int) bool {
	dir := fmt.Sprintf("/proc/%d/fdinfo", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	line := []byte("\nPid:\t" + strconv.Itoa(target) + "\n")
	for _, e := range entries {
		info, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err == nil && bytes.Contains(append([]byte{'\n'}, info...), line) {
			link, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, e.Name()))
			if strings.Contains(link, "pidfd") { // anon_inode:[pidfd], or pidfd:[N] on pidfs
				return true
			}
		}
	}
	return false
}
