package cli

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/alecthomas/kong"
)

// restartArgsNote says, where restart was given a program's command line or one of its
// flags (restart web -- --port 9, restart web --port 9, as a script that changed the
// program's arguments would try), that restart takes none: it starts the instance with
// the command it was started with. startOptionNote says it of start's options. "" for
// any other parse error, and for a flag of daemonkit's own.
func restartArgsNote(cfg Config, perr *kong.ParseError, args []string) string {
	if !restartSelected(perr) {
		return ""
	}
	if word, ok := strings.CutPrefix(perr.Error(), "unexpected argument "); ok && slices.Contains(args, "--") {
		return fmt.Sprintf("restart takes no command (-- %s ...): it %s", word, restartKeeps(parsedLead(cfg, perr), parsedName(perr), "command", "... -- PROG ARGS..."))
	}
	rest, ok := strings.CutPrefix(perr.Error(), "unknown flag ")
	if !ok {
		return ""
	}
	word, _, _ := strings.Cut(rest, "=")
	if strings.Contains(rest, ", did you mean") || daemonkitFlagPlaces(word) != nil {
		return "" // a flag of daemonkit's mistyped, or one of another command's
	}
	return fmt.Sprintf("if %s is the program's own flag: restart %s", word, restartKeeps(parsedLead(cfg, perr), parsedName(perr), "command", "... -- PROG "+word+" ..."))
}

// restartSelected reports whether perr is a parse error of daemonkit's restart command:
// told by the command's type, not its name, which a program that embeds the commands may
// give a command of its own too (its own restart SERVICE, beside daemon restart).
func restartSelected(perr *kong.ParseError) bool {
	if perr == nil || perr.Context == nil {
		return false
	}
	n := perr.Context.Selected()
	return n != nil && n.Target.IsValid() && n.Target.Type() == reflect.TypeFor[RestartCmd]()
}
