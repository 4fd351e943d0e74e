package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/alecthomas/kong"
)

// startOptionNote says, where restart was given one of start's options (restart web
// --umask 077, as a script that changed an option would try), that restart takes none:
// it starts the instance with the options it was started with, which its record keeps,
// and a changed one takes a stop and a start. "" for any other parse error.
func startOptionNote(program string, perr *kong.ParseError) string {
	if perr == nil || perr.Context == nil || perr.Context.Selected() == nil || perr.Context.Selected().Name != "restart" {
		return ""
	}
	rest, ok := strings.CutPrefix(perr.Error(), "unknown flag ")
	if !ok {
		return ""
	}
	word, _, _ := strings.Cut(rest, ",") // ", did you mean ..."
	word, _, _ = strings.Cut(word, "=")
	if !slices.Contains(daemonkitFlagPlaces(word), "start") {
		return ""
	}
	return fmt.Sprintf("%s is start's: restart starts the instance with the options it was started with, which its record keeps; to change them, '%s stop NAME', then '%s start -d --name NAME %s ...' with every option it needs",
		word, program, program, word)
}
