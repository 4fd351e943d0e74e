package cli

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/daemonkit/daemonkit/instance"
)

// CompletionCmd prints a shell completion script, made from the grammar: the commands,
// each command's flags, the values of flags and arguments that take a fixed set, and the
// instance names of the state directory for --name and the NAME argument.
type CompletionCmd struct {
	Shell string `arg:"" enum:"bash,zsh,fish" help:"bash, zsh or fish."`
}

// Run prints the script. Load it with: source <(PROG completion bash); PROG completion
// fish | source; source <(PROG completion zsh), the bash script run by zsh's bashcompinit,
// which the script loads.
func (c *CompletionCmd) Run(app *App, kctx *kong.Context) error {
	if c.Shell == "fish" {
		return writeFish(app.Stdout, kctx.Model, app.Config.Flags)
	}
	return writeBash(app.Stdout, kctx.Model, c.Shell, app.Config.Flags)
}

// commandFlags are the flags to offer after command n: its own and the global ones, but
// the program's own flags (programFlags, Config.Flags) only where n reads them, as its
// help shows them (see programFlagsHelp).
func commandFlags(n *kong.Node, programFlags any) []*kong.Flag {
	flags := visibleFlags(n)
	if ownWorkCommands[n.Name] {
		return flags
	}
	return slices.DeleteFunc(flags, func(f *kong.Flag) bool { return isProgramFlag(programFlags, f) })
}

// NamesCmd prints the names of the instances in the state directory, one a line: what
// the completions offer for --name and the NAME argument.
type NamesCmd struct{}

// Run lists the names (instance.Names); a state directory that cannot be read gives none.
func (c *NamesCmd) Run(app *App) error {
	layout, err := app.layout(false)
	if err != nil {
		return nil
	}
	names, _ := instance.Names(layout.StateDir)
	for _, n := range names {
		fmt.Fprintln(app.Stdout, n)
	}
	return nil
}

// namesCommand is the hidden command the completions run for instance names.
const namesCommand = "_names"

// writeBash writes the bash completion; zsh runs the same function behind bashcompinit,
// which hands it the words unsplit where bash splits them at COMP_WORDBREAKS.
// programFlags is Config.Flags (see commandFlags).
func writeBash(w io.Writer, app *kong.Application, shell string, programFlags any) error {
	prog := app.Name
	fn := "_" + strings.NewReplacer("-", "_", ".", "_").Replace(prog)
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	var cmds []string
	for _, n := range grammarCommands(app) {
		cmds = append(cmds, n.Name)
	}
	names := fmt.Sprintf(`$(%s "${dir[@]}" %s 2>/dev/null)`, prog, namesCommand)
	if shell == "zsh" {
		p("# %s completion for zsh, made from its grammar: source <(%s completion zsh)", prog, prog)
		p("# (the bash completion, through zsh's bashcompinit)")
		p("autoload -U +X bashcompinit && bashcompinit")
	} else {
		p("# %s completion for bash, made from its grammar: source <(%s completion bash)", prog, prog)
	}
	p("%s() {", fn)
	p(`	# bash splits --flag=value into --flag, = and value (and a value at ':'), as`)
	p(`	# COMP_WORDBREAKS says: join them again, so ws are the words as typed, cw the current one.`)
	p(`	local ws=() cw=0 n=0 i w join=0`)
	p(`	for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do`)
	p(`		w="${COMP_WORDS[i]}"`)
	p(`		if ((n > 1)) && { ((join)) || [ "$w" = = ] || [ "$w" = : ]; }; then`)
	p(`			ws[n-1]="${ws[n-1]}$w"`)
	p(`			if [ "$w" = = ] || [ "$w" = : ]; then join=1; else join=0; fi`)
	p(`		else`)
	p(`			ws[n]="$w" n=$((n + 1)) join=0`)
	p(`		fi`)
	p(`		if ((i == COMP_CWORD)); then cw=$((n - 1)); fi`)
	p(`	done`)
	p(`	local cur="${ws[cw]}" prev="" pre="" value="" cmd="" dir=() sd=""`)
	p(`	if ((cw > 0)); then prev="${ws[cw-1]}"; fi`)
	p(`	for ((i = 1; i < cw; i++)); do`)
	p(`		case "${ws[i]}" in`)
	p(`		--) # the program to run, then its own arguments: a command, then files`)
	p(`			if ((i == cw - 1)); then COMPREPLY=($(compgen -c -- "$cur")); fi`)
	p(`			return ;;`)
	p(`		--state-dir) sd="${ws[i+1]}" dir=(--state-dir) i=$((i + 1)) ;;`)
	p(`		--state-dir=*) sd="${ws[i]#--state-dir=}" dir=(--state-dir) ;;`)
	if vf := globalValueFlags(app); len(vf) > 0 {
		p(`		%s) i=$((i + 1)) ;; # their value is no command`, strings.Join(vf, " | "))
	}
	p(`		-*) ;;`)
	p(`		%s) [ -z "$cmd" ] && cmd="${ws[i]}" ;;`, strings.Join(cmds, "|"))
	p(`		esac`)
	p(`	done`)
	p(`	# the state directory as typed: its quotes, backslashes, leading ~ and $VAR undone as`)
	p(`	# the shell will undo them, in a word that holds nothing else (nothing it runs)`)
	p(`	if [ -n "$dir" ]; then`)
	p("		local re=%s", stateDirWordRE)
	p(`		if [[ $sd =~ $re ]]; then eval "sd=$sd" 2>/dev/null; fi`)
	p(`		dir=(--state-dir "$sd")`)
	p(`	fi`)
	p(`	case "$cur" in`)
	p(`	--*=*) # the value of --flag=: what follows a separate --flag`)
	p(`		prev="${cur%%%%=*}" cur="${cur#*=}" value=1`)
	p(`		# zsh (and bash without = in COMP_WORDBREAKS) completes the whole word: keep --flag=`)
	p(`		case "${COMP_WORDS[COMP_CWORD]}" in "$prev="*) pre="$prev=" ;; esac ;;`)
	p(`	esac`)
	p(`	case "$prev" in`)
	p(`	--name | -n)`)
	p(`		if [ "$prev" = -n ] && [ "$cmd" = logs ]; then return; fi # logs' -n is its line count`)
	p(`		COMPREPLY=($(compgen -W "%s" -- "$cur")) ;;`, names)
	p(`	%s) return ;; # a path: the default completion, files`, strings.Join(sortedKeys(pathFlags), " | "))
	enums := map[string]string{}
	collect := func(flags []*kong.Flag) {
		for _, f := range flags {
			if f.Enum != "" {
				enums["--"+f.Name] = strings.ReplaceAll(f.Enum, ",", " ")
			}
		}
	}
	collect(app.Node.Flags)
	for _, n := range grammarCommands(app) {
		collect(n.Flags)
	}
	keys := make([]string, 0, len(enums))
	for k := range enums {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p(`	%s) COMPREPLY=($(compgen -W "%s" -- "$cur")) ;;`, k, enums[k])
	}
	if vf := freeValueFlags(app, enums, pathFlags); len(vf) > 0 {
		p(`	%s) return ;; # a value of the user's own: neither a name nor a flag`, strings.Join(vf, " | "))
	}
	p(`	*)`)
	p(`		if [ -n "$value" ]; then return; fi # a flag that takes no value from this list`)
	p(`		case "$cmd" in`)
	p(`		"") COMPREPLY=($(compgen -W "%s %s" -- "$cur")) ;;`, strings.Join(cmds, " "), strings.Join(flagWords(visibleFlags(app.Node)), " "))
	for _, n := range grammarCommands(app) {
		flags := strings.Join(flagWords(commandFlags(n, programFlags)), " ")
		var args []string // the values of its positional arguments
		for _, a := range n.Positional {
			switch {
			case a.Enum != "":
				args = append(args, strings.Split(a.Enum, ",")...)
			case a.Name == "name":
				args = append(args, names)
			}
		}
		if len(args) == 0 {
			p(`		%s) COMPREPLY=($(compgen -W "%s" -- "$cur")) ;;`, n.Name, flags)
			continue
		}
		p(`		%s) case "$cur" in`, n.Name)
		p(`			-*) COMPREPLY=($(compgen -W "%s" -- "$cur")) ;;`, flags)
		p(`			*) COMPREPLY=($(compgen -W "%s" -- "$cur")) ;;`, strings.Join(args, " "))
		p(`			esac ;;`)
	}
	p(`		esac ;;`)
	p(`	esac`)
	p(`	if [ -n "$pre" ]; then COMPREPLY=("${COMPREPLY[@]/#/$pre}"); fi`)
	p("}")
	p("complete -o default -F %s %s", fn, prog)
	_, err := io.WriteString(w, b.String())
	return err
}

// stateDirWordRE is, in bash's $'...' quoting, the extended regular expression of a
// word the completion undoes the quoting of with eval: a leading ~ or ~USER, then plain
// characters, backslash escapes, '...', "...", and $VAR or ${VAR}, bare or in the double
// quotes. A word with a command substitution, a glob, a brace or anything else eval would
// do more with is passed on as typed.
const stateDirWordRE = `$'^(~[A-Za-z0-9._-]*)?([^][ \t\n\'"\\$` + "`" + `*?{}()<>|&;!~]|\\\\.|\'[^\']*\'|"([^"\\$` + "`" + `]|\\\\.|` + shVarRE + `)*"|` + shVarRE + `)*$'`

// shVarRE is, in bash's $'...' quoting, the extended regular expression of $VAR or ${VAR}.
const shVarRE = `\\$[A-Za-z_][A-Za-z0-9_]*|\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}`

// globalValueFlags are the long forms of the flags before the command that take a value
// but --state-dir (matched on its own): their values are skipped in looking for the command.
func globalValueFlags(app *kong.Application) []string {
	var out []string
	for _, f := range app.Node.Flags {
		if !f.IsBool() && f.Name != "state-dir" {
			out = append(out, "--"+f.Name)
		}
	}
	sort.Strings(out)
	return out
}

// freeValueFlags are the flags, of every command, whose value the user makes up (a
// duration, a signal, an address): no flag enumerates them (enums) nor takes a path
// (paths), and --name has its own completion.
func freeValueFlags(app *kong.Application, enums map[string]string, paths map[string]bool) []string {
	seen := map[string]bool{}
	add := func(flags []*kong.Flag) {
		for _, f := range flags {
			long := "--" + f.Name
			if f.IsBool() || f.IsCounter() || enums[long] != "" || paths[long] || f.Name == "name" || f.Name == "state-dir" {
				continue
			}
			seen[long] = true
		}
	}
	add(app.Node.Flags)
	for _, n := range grammarCommands(app) {
		add(n.Flags)
	}
	return sortedKeys(seen)
}

// writeFish writes the fish completion: what the bash one offers, where fish's own
// helpers (__fish_use_subcommand, __fish_seen_subcommand_from) would take a global flag's
// value for the command, so functions of its own find the command, the state directory
// (--state-dir, then DAEMONKIT_STATE_DIR through _names) and the program after --.
func writeFish(w io.Writer, app *kong.Application, programFlags any) error {
	prog := app.Name
	fn := "__" + strings.NewReplacer("-", "_", ".", "_").Replace(prog)
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	q := func(s string) string {
		return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
	}
	p("# %s completion for fish, made from its grammar: %s completion fish | source", prog, prog)
	p("")
	p("# %s_command prints the command word, if one is typed before the cursor: the first word", fn)
	p("# that is no flag and no global flag's value. Its status is 1 after --.")
	p("function %s_command", fn)
	p("    set -l skip 0")
	p("    for t in (commandline -opc)[2..-1]")
	p("        if test $skip = 1")
	p("            set skip 0")
	p("            continue")
	p("        end")
	p("        switch $t")
	p("            case --")
	p("                return 1")
	p("            case --state-dir %s", strings.Join(globalValueFlags(app), " "))
	p("                set skip 1")
	p("            case '-*'")
	p("            case '*'")
	p("                echo $t")
	p("                return 0")
	p("        end")
	p("    end")
	p("end")
	p("")
	p("# %s_using CMD: the command typed is CMD, and no -- yet.", fn)
	p("function %s_using", fn)
	p("    set -l cmd (%s_command); or return 1", fn)
	p(`    test "$cmd" = "$argv[1]"`)
	p("end")
	p("")
	p("# %s_needs_command: no command is typed yet, and no --.", fn)
	p("function %s_needs_command", fn)
	p("    set -l cmd (%s_command); or return 1", fn)
	p(`    test -z "$cmd"`)
	p("end")
	p("")
	p("# %s_separated: a -- is typed before the cursor: what follows is a program and its arguments.", fn)
	p("function %s_separated", fn)
	p("    contains -- -- (commandline -opc)[2..-1]")
	p("end")
	p("")
	p("# %s_names prints the instance names of the state directory the command line names.", fn)
	p("function %s_names", fn)
	p("    set -l dir")
	p("    set -l tokens (commandline -opc)[2..-1]")
	p("    for i in (seq (count $tokens))")
	p("        switch $tokens[$i]")
	p("            case --")
	p("                break")
	p("            case --state-dir")
	p("                # a leading ~, which fish expands when it runs the line (it unquotes tokens already)")
	p("                set dir --state-dir (string replace -r -- '^~(?=/|$)' $HOME $tokens[(math $i + 1)])")
	p("            case '--state-dir=*'")
	p("                set dir $tokens[$i]")
	p("        end")
	p("    end")
	p("    command %s $dir %s 2>/dev/null", prog, namesCommand)
	p("end")
	p("")
	p("# %s_program completes the program after --, and its arguments, as fish would alone.", fn)
	p("function %s_program", fn)
	p("    set -l tokens (commandline -opc)")
	p("    set -l i (contains -i -- -- $tokens)")
	p("    __fish_complete_subcommand --commandline $tokens[(math $i + 1)..-1] (commandline -ct)")
	p("end")
	p("")
	p("complete -c %s -f", prog)
	p("complete -c %s -n %s_separated -xa '(%s_program)'", prog, fn, fn)
	// flagLine is the completion of one flag, under the condition cond.
	flagLine := func(cond string, f *kong.Flag) string {
		line := fmt.Sprintf("complete -c %s -n %s -l %s", prog, q(cond), f.Name)
		if f.Short != 0 {
			line += " -s " + string(f.Short)
		}
		line += " -d " + q(firstSentence(f.Help))
		switch {
		case f.Name == "name":
			line += fmt.Sprintf(" -xa '(%s_names)'", fn)
		case f.Enum != "":
			line += " -xa " + q(strings.ReplaceAll(f.Enum, ",", " "))
		case pathFlags["--"+f.Name]:
			line += " -rF"
		case !f.IsBool():
			line += " -x"
		}
		return line
	}
	// The program's own flags only before a command, or after one that reads them.
	ownWork := []string{fn + "_needs_command"}
	for _, n := range grammarCommands(app) {
		if ownWorkCommands[n.Name] {
			ownWork = append(ownWork, fn+"_using "+n.Name)
		}
	}
	for _, f := range app.Node.Flags {
		switch {
		case f.Hidden:
		case isProgramFlag(programFlags, f):
			p("%s", flagLine("not "+fn+"_separated; and begin; "+strings.Join(ownWork, "; or ")+"; end", f))
		default:
			p("%s", flagLine("not "+fn+"_separated", f))
		}
	}
	for _, n := range grammarCommands(app) {
		using := fn + "_using " + n.Name
		p("complete -c %s -n %s_needs_command -a %s -d %s", prog, fn, n.Name, q(n.Help))
		for _, a := range n.Positional {
			switch {
			case a.Enum != "":
				p("complete -c %s -n %s -a %s", prog, q(using), q(strings.ReplaceAll(a.Enum, ",", " ")))
			case a.Name == "name":
				p("complete -c %s -n %s -a '(%s_names)'", prog, q(using), fn)
			}
		}
		for _, f := range n.Flags {
			if !f.Hidden {
				p("%s", flagLine(using, f))
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// firstSentence keeps a flag's help short for fish.
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i+1]
	}
	return s
}

// sortedKeys are m's keys, sorted.
func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
