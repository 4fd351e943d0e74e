package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/alecthomas/kong"
)

// grammarCommands are the visible commands of a grammar, sorted, each with the flags it
// accepts (its own, then those of the commands above it), for the completions and the
// man page, which are both made from the grammar so they cannot drift from it.
func grammarCommands(app *kong.Application) []*kong.Node {
	var out []*kong.Node
	for _, n := range app.Node.Children {
		if n.Type == kong.CommandNode && !n.Hidden {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// visibleFlags are a node's flags and its parents', without the hidden ones.
func visibleFlags(n *kong.Node) []*kong.Flag {
	var out []*kong.Flag
	for _, group := range n.AllFlags(true) {
		out = append(out, group...)
	}
	return out
}

// flagWords are "--name" and "-n" for each flag.
func flagWords(flags []*kong.Flag) []string {
	var out []string
	for _, f := range flags {
		out = append(out, "--"+f.Name)
		if f.Short != 0 {
			out = append(out, "-"+string(f.Short))
		}
	}
	return out
}

// writeMan writes a man page, section 1, for the grammar.
func writeMan(w io.Writer, app *kong.Application, cfg Config) error {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	name := app.Name
	p(`.TH %s 1 "" "%s %s" "User Commands"`, strings.ToUpper(name), name, cfg.Version)
	p(".SH NAME")
	p(`%s \- %s`, name, roff(cfg.Description))
	p(".SH SYNOPSIS")
	p(`.B %s`, name)
	p(`[\fIGLOBAL FLAGS\fR] \fICOMMAND\fR [\fIFLAGS\fR]`)
	p(".SH DESCRIPTION")
	p("Results go to standard output, logs and errors to standard error. A usage error exits 2.")
	p(".SH GLOBAL FLAGS")
	for _, f := range app.Node.Flags {
		switch {
		case f.Hidden:
		case isProgramFlag(cfg.Flags, f):
			manFlag(p, f, programFlagNote(name, f.Help))
		default:
			manFlag(p, f, "")
		}
	}
	p(".SH COMMANDS")
	for _, n := range grammarCommands(app) {
		p(".SS %s", n.Name)
		p("%s", roff(n.Help))
		for _, f := range n.Flags {
			if !f.Hidden {
				manFlag(p, f, "")
			}
		}
		for _, a := range n.Positional {
			p(".TP")
			p(`\fI%s\fR`, roff(a.Name))
			p("%s", roff(a.Help))
		}
	}
	p(".SH EXIT STATUS")
	for _, line := range exitStatus {
		p("%s", roff(line))
		p(".br")
	}
	p(".SH SEE ALSO")
	p("systemd.service(5), start-stop-daemon(8), daemon(8)")
	_, err := io.WriteString(w, b.String())
	return err
}

// exitStatus is the man page's EXIT STATUS: every command's codes, as docs/commands.md
// gives them.
var exitStatus = []string{
	"Every command: 2 usage error.",
	"start: 0 started and ready, 1 could not start, 3 already running; in the foreground, once running, as its work ends: a supervised program's status (128+N when a signal N ended it), the built-in work's 0 after a graceful stop; 128+N when a stop's signal N called off a start not ready yet.",
	"stop: 0 stopped or was not running, 1 could not stop.",
	"status: 0 running, 1 stale pidfile, 3 not running (or starting, stopping, or its program between restarts), 4 cannot tell (LSB).",
	"restart: as start; 1 too when it has no record to start from, having stopped nothing.",
	"reload: 0 signalled, 1 not running, refused, or its --reload-check failed. reopen: 0 signalled, 1 not running.",
	"upgrade: 0 the new copy serves, 1 it failed (the old one serves on) or there was nothing to upgrade, 3 another upgrade runs, ended by signal N (Ctrl-C, SIGTERM: a shell says 128+N) before the answer, once it said so (the supervisor goes on with the upgrade if it took it).",
	"delete: 0 forgotten, 1 running, or no such instance. logs: 0, 1 no log to print.",
	"list, strategies, completion, version: 0.",
}

// manFlag writes flag f, its help and then note, if any.
func manFlag(p func(string, ...any), f *kong.Flag, note string) {
	p(".TP")
	spec := `\fB\-\-` + roff(f.Name) + `\fR`
	if f.Short != 0 {
		spec = `\fB\-` + string(f.Short) + `\fR, ` + spec
	}
	if !f.IsBool() {
		spec += `=\fI` + roff(f.FormatPlaceHolder()) + `\fR`
	}
	p("%s", spec)
	p("%s", roff(f.Help+note))
}

// roff escapes text for a man page.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}
