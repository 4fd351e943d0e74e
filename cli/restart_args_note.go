package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/alecthomas/kong"
)

// restartArgsNote says, where restart was given a program's command line or one of its
// flags (restart web -- --port 9, restart web --port 9, as a script that changed the
// program's arguments would try), that restart takes none: it starts the instance with
// the command it was started with. startOptionNote says it of start's options. "" for
// any other parse error, and for a flag of daemonkit's own.
func restartArgsNote(program string, perr *kong.ParseError, args []string) string {
	if perr == nil || perr.Context == nil || perr.Context.Selected() == nil || perr.Context.Selected().Name != "restart" {
		return ""
	}
	if word, ok := strings.CutPrefix(perr.Error(), "unexpected argument "); ok && slices.Contains(args, "--") {
		return fmt.Sprintf("restart takes no command (-- %s ...): it %s", word, restartKeeps(parsedLead(program, perr), "command", "... -- PROG ARGS..."))
	}
	rest, ok := strings.CutPrefix(perr.Error(), "unknown flag ")
	if !ok {
		return ""
	}
	word, _, _ := strings.Cut(rest, "=")
	if strings.Contains(rest, ", did you mean") || daemonkitFlagPlaces(word) != nil {
		return "" // a flag of daemonkit's mistyped, or one of another command's
	}
	return fmt.Sprintf("if %s is the program's own flag: restart %s", word, restartKeeps(parsedLead(program, perr), "command", "... -- PROG "+word+" ..."))
}
