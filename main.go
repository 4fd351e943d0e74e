// Command daemonkit starts a program as a proper Unix daemon and stops it again, safely.
//
// This file holds the grammar and the wiring only: each command lives in a file of its own
// beside it and adapts its flags into a typed request for one of the packages.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/alecthomas/kong"
	"github.com/hashicorp/go-hclog"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Globals are the flags every command accepts.
type Globals struct {
	LogLevel  string           `enum:"trace,debug,info,warn,error" default:"info" env:"DAEMONKIT_LOG_LEVEL" placeholder:"LEVEL" help:"Log level: trace, debug, info, warn or error (${env})."`
	LogFormat string           `enum:"text,json" default:"text" placeholder:"FORMAT" help:"Log format: text or json."`
	StateDir  string           `env:"DAEMONKIT_STATE_DIR" placeholder:"DIR" help:"Where pidfiles and records live (${env}). Default: /run/daemonkit as root, else $$XDG_RUNTIME_DIR/daemonkit, else a private per-user directory under the temp directory."`
	LogDir    string           `env:"DAEMONKIT_LOG_DIR" placeholder:"DIR" help:"Where daemon logs go without --log (${env}). Default: /var/log/daemonkit as root, else the state directory."`
	Version   kong.VersionFlag `help:"Print the version and exit."`
}

// App is what every command's Run receives: the parsed globals, the one logger, and where
// results go. Results go to Stdout; logs go to the logger, which writes to stderr.
type App struct {
	Globals *Globals
	Log     hclog.Logger
	Stdout  io.Writer
	Stderr  io.Writer
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run parses args, runs the chosen command and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	var cli CLI
	exitCode := -1
	parser, err := newParser(&cli, stdout, stderr, func(code int) { exitCode = code })
	if err != nil {
		fmt.Fprintf(stderr, "daemonkit: grammar: %v\n", err)
		return exitSoftware
	}
	ctx, err := parser.Parse(args)
	if exitCode >= 0 { // --help or --version asked kong to exit.
		return exitCode
	}
	if err != nil {
		fmt.Fprintf(stderr, "daemonkit: error: %v\n", err)
		var perr *kong.ParseError
		if errors.As(err, &perr) && perr.Context != nil {
			fmt.Fprintf(stderr, "run %q for usage\n", helpCommand(perr.Context))
		}
		return exitUsage
	}
	app := &App{
		Globals: &cli.Globals,
		Log:     newLogger(cli.LogLevel, cli.LogFormat, stderr),
		Stdout:  stdout,
		Stderr:  stderr,
	}
	if err := ctx.Run(app); err != nil {
		return reportError(stderr, err)
	}
	return exitOK
}

// newParser builds the grammar around cli. exit is called where Kong would exit (--help,
// --version); nil writers discard.
func newParser(cli *CLI, stdout, stderr io.Writer, exit func(int)) (*kong.Kong, error) {
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	if exit == nil {
		exit = func(int) {}
	}
	return kong.New(cli,
		kong.Name("daemonkit"),
		kong.Description("Start a program as a proper Unix daemon, and stop it again, safely."),
		kong.UsageOnError(),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Vars(grammarVars()),
		kong.Writers(stdout, stderr),
		kong.Exit(exit),
	)
}

// newLogger makes the one logger of this process; everything else gets it passed down.
func newLogger(level, format string, out io.Writer) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       "daemonkit",
		Level:      hclog.LevelFromString(level),
		JSONFormat: format == "json",
		Output:     out,
	})
}

// helpCommand is the --help command line for the command the user was typing.
func helpCommand(ctx *kong.Context) string {
	if cmd := ctx.Selected(); cmd != nil {
		return cmd.FullPath() + " --help" // FullPath starts with "daemonkit"
	}
	return "daemonkit --help"
}
