package cli

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

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

// daemonkitFlagWords are the words of every flag of daemonkit's whole grammar (a flag's
// --name, its aliases, its short and its negation), each with where it is: "global" (the
// globals and Kong's --help) or the commands that have it, hidden ones included. The short
// grammar, which builds one command, needs them to refuse a Config.Flags flag that clashes
// with any command's, as the whole grammar does; building the whole grammar to learn them
// would cost what the short one saves, so they are read from the commands' types and
// tags, as Kong reads them (TestDaemonkitFlagWordsAsKong holds the two equal). Made on
// first use, by a program with Config.Flags only.
var daemonkitFlagWords = sync.OnceValue(func() map[string][]string {
	words := map[string][]string{"--help": {"global"}, "-h": {"global"}}
	add := func(where, word string) {
		for _, w := range words[word] {
			if w == where {
				return
			}
		}
		words[word] = append(words[word], where)
	}
	var walk func(t reflect.Type, where, prefix string)
	walk = func(t reflect.Type, where, prefix string) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag
			name := tag.Get("name")
			if name == "" {
				name = kongName(f.Name)
			}
			_, isCmd := tag.Lookup("cmd")
			_, isArg := tag.Lookup("arg")
			_, isEmbed := tag.Lookup("embed")
			switch {
			case tag.Get("kong") == "-" || isArg:
			case isCmd:
				sub := name
				if where != "global" {
					sub = where + " " + name
				}
				walk(f.Type, sub, "")
			case f.Anonymous || isEmbed:
				walk(f.Type, where, prefix+tag.Get("prefix"))
			case f.IsExported():
				name = prefix + name
				add(where, "--"+name)
				for _, a := range strings.Split(tag.Get("aliases"), ",") {
					switch a = strings.TrimSpace(a); {
					case a == "":
					case utf8.RuneCountInString(a) == 1:
						add(where, "-"+a)
					default:
						add(where, "--"+a)
					}
				}
				if short := tag.Get("short"); short != "" {
					add(where, "-"+short)
				}
				if neg, ok := tag.Lookup("negatable"); ok {
					if neg == "" {
						neg = "no-" + name
					}
					add(where, "--"+neg)
				}
			}
		}
	}
	walk(reflect.TypeOf(Commands{}), "global", "")
	for _, h := range hiddenCommands() {
		walk(reflect.TypeOf(h.cmd), h.name, "")
	}
	return words
})

// kongName is the flag or command name Kong makes of a field's name: "StateDir" is
// "state-dir", "PIDFile" "pid-file".
func kongName(field string) string {
	return strings.ToLower(strings.Join(camelCase(field), "-"))
}

// camelCase splits a Go name into its words as Kong does ("PDFLoader" is "PDF", "Loader";
// "GL11Version" is "GL", "11", "Version"). Kong's own copy of github.com/fatih/camelcase
// (MIT license) is unexported, so this is that code again.
func camelCase(src string) []string {
	if !utf8.ValidString(src) {
		return []string{src}
	}
	var runes [][]rune
	lastClass := 0
	for _, r := range src {
		class := 4
		switch {
		case unicode.IsLower(r):
			class = 1
		case unicode.IsUpper(r):
			class = 2
		case unicode.IsDigit(r):
			class = 3
		}
		if class == lastClass {
			runes[len(runes)-1] = append(runes[len(runes)-1], r)
		} else {
			runes = append(runes, []rune{r})
		}
		lastClass = class
	}
	for i := 0; i < len(runes)-1; i++ { // "PDFL", "oader" is "PDF", "Loader"
		if unicode.IsUpper(runes[i][0]) && unicode.IsLower(runes[i+1][0]) {
			runes[i+1] = append([]rune{runes[i][len(runes[i])-1]}, runes[i+1]...)
			runes[i] = runes[i][:len(runes[i])-1]
		}
	}
	entries := []string{}
	for _, r := range runes {
		if len(r) > 0 {
			entries = append(entries, string(r))
		}
	}
	return entries
}
