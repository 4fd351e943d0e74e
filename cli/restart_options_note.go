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
// and a changed one takes a stop and a start. -d (--detach) changes nothing a record
// keeps: restart starts the instance detached, as it was, and the note says to leave it
// out. "" for any other parse error.
func startOptionNote(program string, perr *kong.ParseError) string {
	if !restartSelected(perr) {
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
	if word == "-d" || word == "--detach" {
		return fmt.Sprintf("%s is start's: restart starts the instance as it was started (detached: a foreground start records no way to start it again); leave %s out", word, word)
	}
	given := word + " ..."
	if f := startFlag(perr.Context.Model, word); f != nil && f.IsBool() {
		given = word
	}
	return fmt.Sprintf("%s is start's: restart %s", word, restartKeeps(parsedLead(program, perr), "options", given))
}

// restartKeeps says that restart starts an instance as it was started, what ("options",
// or "command") as its record keeps them, and how to start it otherwise, given (an
// option, "--umask ...", or "-- PROG ARGS...") among the rest: the advice of every note
// on what restart was given but does not take. lead is the line that runs a command
// ("PROG stop"; "PROG daemon stop" where the program holds the commands under a command of
// its own): App.commandLead, or parsedLead after a parse error. It follows "restart " or
// "it ".
func restartKeeps(lead func(command string) string, what, given string) string {
	them := "them"
	if what == "command" {
		them = "it"
	}
	if given != "" {
		given = " " + given
	}
	return fmt.Sprintf("starts the instance with the %s it was started with, which its record keeps; to change %s, '%s NAME', then '%s -d --name NAME%s' with every option it needs",
		what, them, lead("stop"), lead("start"), given)
}

// parsedLead is restartKeeps' lead for a command line perr stopped in: program, the words
// of the commands above the one selected (in a grammar that holds daemonkit's commands
// under a command of the program's own: app daemon restart), and the command.
func parsedLead(program string, perr *kong.ParseError) func(string) string {
	var above []string
	if perr != nil && perr.Context != nil && perr.Context.Selected() != nil {
		for n := perr.Context.Selected().Parent; n != nil && n.Parent != nil; n = n.Parent {
			above = append([]string{n.Name}, above...)
		}
	}
	return func(command string) string {
		return adviceJoin(append(append([]string{program}, above...), command))
	}
}

// startFlag is the flag of the start command in model that word (--umask, -u) selects,
// or nil.
func startFlag(model *kong.Application, word string) *kong.Flag {
	if model == nil {
		return nil
	}
	var found *kong.Flag
	var walk func(n *kong.Node)
	walk = func(n *kong.Node) {
		for _, child := range n.Children {
			if found != nil {
				return
			}
			if child.Type == kong.CommandNode && child.Name == "start" {
				for _, f := range child.Flags {
					if slices.Contains(flagWordsOf(f), word) {
						found = f
						return
					}
				}
			}
			walk(child)
		}
	}
	walk(model.Node)
	return found
}
