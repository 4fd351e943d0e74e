package cli

import (
	"strings"

	"github.com/alecthomas/kong"
)

// ownWorkCommands are the commands whose command line may run the program's own work, and
// so read the program's own flags (Config.Flags): every other command ignores them.
var ownWorkCommands = map[string]bool{"start": true, "unit": true}

// programFlagsHelp is the help printer of a program with its own flags, flags
// (Config.Flags, global in the grammar): the help of start and unit, which run the work they
// configure, shows them; the help of every other command, which ignores them, leaves them
// out; and the program's own help (no command) shows them with a note that only start and
// unit read them. The grammar is left as it was, whatever the printer returns.
func programFlagsHelp(flags any) kong.HelpPrinter {
	return func(options kong.HelpOptions, ctx *kong.Context) error {
		selected := ctx.Selected()
		if selected != nil && !ownWorkCommands[selected.Name] {
			for _, f := range ctx.Model.Node.Flags {
				if isProgramFlag(flags, f) && !f.Hidden {
					f.Hidden = true
					defer func() { f.Hidden = false }()
				}
			}
		}
		if format := options.ValueFormatter; selected == nil && format != nil {
			options.ValueFormatter = func(v *kong.Value) string {
				help := format(v)
				if v.Flag != nil && isProgramFlag(flags, v.Flag) {
					help += programFlagNote(ctx.Model.Name, help)
				}
				return help
			}
		}
		return kong.DefaultHelpPrinter(options, ctx)
	}
}

// programFlagNote is what the program's own help and man page add to each of its own
// flags, program being its name, after the flag's help: a sentence of its own, after a
// full stop the help may lack.
func programFlagNote(program, help string) string {
	note := "Read by start and unit of " + program + "'s own work (without -- CMD); restart refuses a value other than the one it was started with (it starts an instance as it was started); the other commands ignore it."
	switch trimmed := strings.TrimRight(help, " "); {
	case trimmed == "":
		return note
	case trimmed != help:
		return note // the help ends with its own space
	case strings.ContainsAny(help[len(help)-1:], ".!?"):
		return " " + note
	default:
		return ". " + note
	}
}
