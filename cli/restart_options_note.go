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
	if word == "-d" || word == "--detach" {
		return fmt.Sprintf("%s is start's: restart starts the instance as it was started (detached: a foreground start records no way to start it again); leave %s out", word, word)
	}
	given := word + " ..."
	if f := startFlag(perr.Context.Model, word); f != nil && f.IsBool() {
		given = word
	}
	return fmt.Sprintf("%s is start's: restart %s", word, restartKeeps(program, "options", given))
}

// restartKeeps says that restart starts an instance as it was started, what ("options",
// or "command") as its record keeps them, and how to start it otherwise, given (an
// option, "--umask ...", or "-- PROG ARGS...") among the rest: the advice of every note
// on what restart was given but does not take. It follows "restart " or "it ".
func restartKeeps(program, what, given string) string {
	them := "them"
	if what == "command" {
		them = "it"
	}
	return fmt.Sprintf("starts the instance with the %s it was started with, which its record keeps; to change %s, '%s stop NAME', then '%s start -d --name NAME %s' with every option it needs",
		what, them, program, program, given)
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
