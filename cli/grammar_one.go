package cli

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/alecthomas/kong"
)

// Building Kong's model of every command costs a process about 750 KB of fresh memory and,
// on a machine where page faults are dear, 6 to 9 ms (docs/performance.md, "Lean
// start-up"). Most command lines name one command, so runGrammar first tries a grammar of
// the globals, the program's flags and that command alone, and keeps its result only when
// it is the one the whole grammar would give: the command it parsed is the one it was
// built for, or --version answered. Anything else (a usage error, --help, no command, a
// command that reads the whole model) is parsed again with the whole grammar, so that
// every message and every help text stays exactly what it was.

// shortGrammar turns the short grammar on; its test turns it off to compare.
var shortGrammar = true

// oneCommandWords are the command words the short grammar serves, each with the field of
// Commands it selects: every command of Commands but completion, which prints the whole
// model. Made on first use: a process that parses nothing (a daemon) never makes it.
var oneCommandWords = sync.OnceValue(func() map[string]int {
	words := map[string]int{}
	t := reflect.TypeOf(Commands{})
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if _, ok := f.Tag.Lookup("cmd"); !ok || f.Name == "Completion" {
			continue
		}
		name := f.Tag.Get("name")
		if name == "" {
			name = strings.ToLower(f.Name) // every command is one word
		}
		words[name] = i
	}
	return words
})

// commandWord is the first argument before "--" that is a command word the short grammar
// serves, or "" if there is none or help is asked for. It may be a flag's value rather
// than the command; the parse then fails or selects nothing, and the whole grammar is
// used.
func commandWord(args []string) string {
	word := ""
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "--help" {
			return ""
		}
		if _, ok := oneCommandWords()[a]; ok && word == "" {
			word = a
		}
	}
	return word
}

// oneCommandOptions are the options that replace the root's commands with word's alone,
// for a root of no fields of its own: the globals and word's command are cmds'.
func oneCommandOptions(cmds *Commands, word string) []kong.Option {
	opts := []kong.Option{kong.Embed(&cmds.Globals)}
	if word == "" {
		return opts
	}
	i := oneCommandWords()[word]
	field := reflect.TypeOf(*cmds).Field(i)
	target := reflect.ValueOf(cmds).Elem().Field(i).Addr().Interface()
	return append(opts, kong.DynamicCommand(word, field.Tag.Get("help"), "", target))
}

// onlyVersion says whether args are "--version" and nothing else: the one command line
// that needs no grammar at all, as a hidden command needs none.
func onlyVersion(args []string) bool {
	return len(args) == 1 && args[0] == "--version"
}

// printVersion answers "--version" as Kong's VersionFlag does: the version and a newline on
// standard output, exit 0.
func printVersion(cfg Config) int {
	fmt.Fprintln(cfg.Stdout, cfg.Version)
	return exitOK
}

// daemonkitFlagPlaces says where a word that selects a flag of daemonkit's whole grammar (a
// flag's --name, an alias, its short or its negation) is: "global" (the globals and Kong's
// --help) or each command that has it, hidden ones included; none for a word of no flag.
// The short grammar, which builds one command, needs this to refuse a Config.Flags flag
// that clashes with any command's, as the whole grammar does. Building the whole grammar
// to learn it would cost what the short one saves, and reading the commands' types and tags
// costs a process about 0.3 ms, so it is looked up in flagWordPlaces, a table made from
// the whole grammar Kong builds and held equal to it by TestDaemonkitFlagWordsAsKong.
func daemonkitFlagPlaces(word string) []string {
	i, _ := slices.BinarySearchFunc(flagWordPlaces[:], word, func(p flagWordPlace, w string) int {
		return strings.Compare(p.word, w)
	})
	var places []string
	for ; i < len(flagWordPlaces) && flagWordPlaces[i].word == word; i++ {
		places = append(places, flagWordPlaces[i].place)
	}
	return places
}

// flagWordPlace is one row of flagWordPlaces: a word that selects a flag, and one place
// it does.
type flagWordPlace struct{ word, place string }
