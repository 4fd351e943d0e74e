package cli

import (
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/daemonkit/daemonkit/instance"
)

// startOptionNote says, where restart was given one of start's options (restart web
// --umask 077, as a script that changed an option would try), that restart takes none:
// it starts the instance with the options it was started with, which its record keeps,
// and a changed one takes a stop and a start. -d (--detach) changes nothing a record
// keeps: restart starts the instance detached, as it was, and the note says to leave it
// out. "" for any other parse error.
func startOptionNote(cfg Config, perr *kong.ParseError) string {
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
	return fmt.Sprintf("%s is start's: restart %s", word, restartKeeps(parsedLead(cfg, perr), parsedName(perr), "options", given))
}

// restartKeeps says that restart starts an instance as it was started, what ("options",
// or "command") as its record keeps them, and how to start it otherwise, given (an
// option, "--umask ...", or "-- PROG ARGS...") among the rest: the advice of every note
// on what restart was given but does not take. lead is the line that runs a command
// ("PROG stop"; "PROG daemon stop" where the program holds the commands under a command of
// its own): App.commandLead, or parsedLead after a parse error. name is the instance's
// name where the command line gave it (parsedName after a parse error), so the lines
// paste as they are; "" puts the placeholder NAME in its place. It follows "restart " or
// "it ".
func restartKeeps(lead func(command string) string, name, what, given string) string {
	them := "them"
	if what == "command" {
		them = "it"
	}
	if given != "" {
		given = " " + given
	}
	if name == "" {
		name = "NAME"
	} else {
		name = adviceWord(name)
	}
	return fmt.Sprintf("starts the instance with the %s it was started with, which its record keeps; to change %s, '%s %s', then '%s -d --name %s%s' with every option it needs",
		what, them, lead("stop"), name, lead("start"), name, given)
}

// parsedLead is restartKeeps' lead for a command line perr stopped in, laid out as
// commandStart lays out a parsed one's: the program, its own arguments before the command
// word (in a grammar that holds daemonkit's commands under a command of its own, that
// command's word among them: app daemon restart), the command, the --state-dir given (made
// absolute; left out where a line reaches it without, as commandStart leaves it out:
// Config.stateDirArgs), and the program's own root flags given after the command word.
// Without them the stop and start it advises would reach the default state directory's
// instance, not this one, or fail for a root flag Kong requires of every command.
func parsedLead(cfg Config, perr *kong.ParseError) func(string) string {
	var own, ownAfter []string
	stateDir := ""
	if perr != nil && perr.Context != nil {
		own, ownAfter = ownArgs(cfg, perr.Context, false)
		stateDir = givenStateDir(perr.Context.Args)
	}
	return func(command string) string {
		args := append(append([]string{cfg.Name}, own...), command)
		if stateDir != "" {
			args = append(args, cfg.stateDirArgs(stateDir)...)
		}
		return adviceJoin(append(args, ownAfter...))
	}
}

// parsedName is the instance's name that the restart command line perr stopped in gave
// before the error, as its argument (restart web --umask 077) or as --name: a valid name,
// else "" (none given yet, or --all, or one that restart itself would refuse). A line
// that gives a --pidfile, before the error or after it, gets "" too: the advised lines,
// which give the name alone, would reach another instance of that name (the state
// directory's), not the one at that pidfile.
func parsedName(perr *kong.ParseError) string {
	if perr == nil || perr.Context == nil {
		return ""
	}
	if _, given := lastFlagValue(perr.Context.Args, "--pidfile"); given {
		return ""
	}
	name := ""
	for _, el := range perr.Context.Path {
		var given reflect.Value
		switch {
		case el.Positional != nil && el.Positional.Name == "name":
			given = perr.Context.Value(el)
		case el.Flag != nil && el.Flag.Name == "name":
			given = perr.Context.Value(el)
		default:
			continue
		}
		if given.IsValid() && given.Kind() == reflect.String && given.String() != "" {
			if name != "" && name != given.String() {
				return "" // two names: restart would refuse them
			}
			name = given.String()
		}
	}
	if instance.ValidateName(name) != nil {
		return ""
	}
	return name
}

// nameReaching is name where restartKeeps' lines, which give the instance by its name in
// the state directory commandLead names, reach the instance whose pidfile is pidFile (an
// empty one is taken for the default): else "", and NAME stands there. An instance started
// with a --pidfile elsewhere is not reached so, and another instance of that name may be.
func (app *App) nameReaching(name, pidFile string) string {
	if pidFile == "" {
		return name
	}
	if _, stateDir, err := app.commandStart("stop"); err != nil || pidFile != filepath.Join(stateDir, name+".pid") {
		return ""
	}
	return name
}

// givenStateDir is the value of the last --state-dir among args, before any "--", made
// absolute; "" if none is given.
func givenStateDir(args []string) string {
	dir, _ := lastFlagValue(args, "--state-dir")
	if dir == "" {
		return ""
	}
	return mustAbs(dir)
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
