package cli

import "fmt"

// stoppedNote is what status and list say of a running daemon stopped by a signal,
// before the command that lets it go on (daemonStoppedBySignal).
const stoppedNote = "stopped by a signal (SIGSTOP or SIGTSTP): it serves nothing until SIGCONT"

// daemonStoppedBySignal is what status and list say of the daemon pid, running but
// stopped by a signal, with the command that lets it go on.
func daemonStoppedBySignal(pid int) string {
	return fmt.Sprintf("%s ('kill -CONT %d')", stoppedNote, pid)
}

// programStoppedBySignal is what status and list say of a running daemon's supervised
// program pid, stopped by a signal (instance.ProgramState.Stopped).
func programStoppedBySignal(pid int) string {
	return fmt.Sprintf("its program is stopped by a signal (SIGSTOP or SIGTSTP): it serves nothing until SIGCONT ('kill -CONT %d')", pid)
}
