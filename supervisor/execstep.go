package supervisor

import (
	"fmt"
	"os"
	"strconv"
	"syscall"

	"github.com/daemonkit/daemonkit/internal/openfiles"
)

// ExecCommand is the hidden first argument of the exec step, which the program starts
// through when it is handed sockets or given its own open-files limit:
// `ARGV0 _exec PATH ARGV0 ARGS...`. The binary must route it to Exec first thing.
const ExecCommand = "_exec"

// Exec is the exec step. It sets the program's open-files limit (Config.OpenFiles), and,
// when it hands sockets on (LISTEN_FDS is set), LISTEN_PID to its own pid, which the
// program will keep; then it executes PATH with the rest as its argv, keeping every
// descriptor it was given. It returns only if it cannot, with the exit code to use.
func Exec(args []string) int {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, ExecCommand+": want PATH ARGV0 [ARGS...]")
		return 2
	}
	var report *os.File // closed by a successful exec; told why otherwise
	if fd, err := strconv.Atoi(os.Getenv(ExecReportEnv)); err == nil && fd > 2 {
		syscall.CloseOnExec(fd)
		report = os.NewFile(uintptr(fd), "exec report")
	}
	limit := os.Getenv(ExecOpenFilesEnv)
	env := withoutEnv(os.Environ(), ExecReportEnv, ExecOpenFilesEnv, "LISTEN_PID")
	if os.Getenv("LISTEN_FDS") != "" {
		env = append(env, "LISTEN_PID="+strconv.Itoa(os.Getpid()))
	}
	msg := execFailure(args, env, limit)
	if report != nil {
		_, _ = report.WriteString(msg)
	}
	fmt.Fprintln(os.Stderr, msg)
	return 127
}

// execFailure executes the program as Exec says, and returns why it could not.
func execFailure(args, env []string, limit string) string {
	if limit != "" {
		n, err := strconv.ParseUint(limit, 10, 64)
		if err == nil && n > 0 {
			err = openfiles.Set(n)
		} else {
			err = fmt.Errorf("%s=%q: want a positive number", ExecOpenFilesEnv, limit)
		}
		if err != nil {
			return fmt.Sprintf("exec %s: %v", args[0], err)
		}
	}
	if err := keepDeathSignal(); err != nil { // a program that could outlive its supervisor is not run
		return fmt.Sprintf("exec %s: set the parent-death signal: %v", args[0], err)
	}
	err := syscall.Exec(args[0], args[1:], env)
	return fmt.Sprintf("exec %s: %v", args[0], explainExec(args[0], err, nil))
}

// ExecReportEnv names the descriptor on which the exec step reports to the supervisor
// that it could not execute the program; a successful exec closes it, empty.
const ExecReportEnv = "DAEMONKIT_EXEC_REPORT_FD"

// ExecOpenFilesEnv carries Config.OpenFiles to the exec step.
const ExecOpenFilesEnv = "DAEMONKIT_EXEC_OPEN_FILES"
