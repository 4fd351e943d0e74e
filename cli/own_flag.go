package cli

import (
	"flag"
	"fmt"
	"strings"
)

// ownFlagNote says, for a program of the flag way (it parses its own flags with the flag
// package, then hands the rest of its command line to Run), that a word of args is one of
// the program's own flags, which only its own parse reads, before the command: where
// daemonkit's grammar meets it, after the command (flagapp start -d -greeting hi), it is
// an unknown flag, or a cluster of short ones. "" when no word is, or the program parses
// no flags of the flag package.
func ownFlagNote(cfg Config, args []string) string {
	if !cfg.viaRun || !flag.Parsed() {
		return ""
	}
	for _, w := range args {
		if w == "--" {
			break
		}
		name, _, _ := strings.Cut(strings.TrimLeft(w, "-"), "=")
		if !strings.HasPrefix(w, "-") || name == "" || strings.HasPrefix(name, "test.") {
			continue
		}
		dashed := "--" + name
		if len([]rune(name)) == 1 {
			dashed = "-" + name
		}
		if flag.CommandLine.Lookup(name) == nil {
			continue
		}
		also := ""
		if daemonkitFlagPlaces(dashed) != nil {
			// daemonkit has it too: with two dashes, or one letter, it is daemonkit's; in
			// the flag package's one-dash form of a long name (-name) it is the program's,
			// which the two-dash hint alone would send to daemonkit's (--name: the instance).
			if len(dashed) == 2 || strings.HasPrefix(w, "--") {
				continue
			}
			also = fmt.Sprintf(" (%s is daemonkit's own)", dashed)
		}
		if commandWord(args) == "restart" { // before the command, restart would ignore it
			lead := func(command string) string { // the program's own flags go before the command
				if command == "start" {
					return cfg.Name + " " + w + " ... start"
				}
				return cfg.Name + " " + command
			}
			return fmt.Sprintf("%s is %s's own flag, which restart does not read: restart %s", w, cfg.Name, restartKeeps(lead, "", "options", ""))
		}
		return fmt.Sprintf("%s is %s's own flag, which it reads only before the command: '%s %s ... %s ...'%s",
			w, cfg.Name, cfg.Name, w, commandWord(args), also)
	}
	return ""
}
