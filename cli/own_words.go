package cli

import (
	"slices"
	"strings"
)

// ownWordsBeforeStart reports whether args, a start's recorded command line, holds words
// of the program's own before the start command: a program that parses its own flags
// (Init, then the flag package, Kong or cobra) and gives them there (app -config
// app.conf start -d). Its daemon parses them again, in the directory start was typed in,
// whatever Config.Flags holds: a relative path among them means what it meant there
// alone. daemonkit's global flags and their values are not the program's, nor is a
// command word of the program's own grammar.
func ownWordsBeforeStart(args []string) bool {
	for i := 0; i < len(args); i++ {
		w := args[i]
		switch {
		case w == "start" || w == "--":
			return false
		case !strings.HasPrefix(w, "-"):
			continue // a command of the program's, above daemonkit's (app daemon start)
		}
		name, _, hasValue := strings.Cut(w, "=")
		if !slices.Contains(daemonkitFlagPlaces(name), "global") {
			return true
		}
		if !hasValue && name != "--version" && name != "--help" && name != "-h" {
			i++ // its value
		}
	}
	return false
}
