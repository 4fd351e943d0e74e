package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/alecthomas/kong"
	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/strategy"
	"github.com/daemonkit/daemonkit/strategy/reexec"
	"github.com/daemonkit/daemonkit/supervisor"
)

// Globals are the flags every command accepts.
type Globals struct {
	LogLevel  string           `enum:"trace,debug,info,warn,error" default:"info" env:"${env_prefix}LOG_LEVEL" placeholder:"LEVEL" help:"Log level: trace, debug, info, warn or error (default ${default}; ${env})."`
	LogFormat string           `enum:"text,json" default:"text" placeholder:"FORMAT" help:"Log format: text or json (default ${default})."`
	StateDir  string           `env:"${env_prefix}STATE_DIR" placeholder:"DIR" help:"Where pidfiles and records live (${env}). Default: /run/${program} as root, else ~/.local/state/${program} (the same from a login shell, cron or sudo -u), else a private per-user directory under the temp directory."`
	LogDir    string           `env:"${env_prefix}LOG_DIR" placeholder:"DIR" help:"Where daemon logs go without --log (${env}). Default: /var/log/${program} as root, else the state directory."`
	Version   kong.VersionFlag `help:"Print the version and exit."`
}

// Commands are daemonkit's commands, to embed in a Kong grammar (with the Globals): the
// program's own commands and flags go beside them. Parse with Config.KongOptions.
type Commands struct {
	Globals

	Start      StartCmd      `cmd:"" help:"Start ${program}, in the foreground or as a daemon (-d) that is ready when start returns."`
	Stop       StopCmd       `cmd:"" help:"Stop a daemon, safely: only the process that holds its pidfile lock is signalled."`
	Status     StatusCmd     `cmd:"" help:"Report whether a daemon runs (LSB exit codes: 0 running, 1 stale pidfile, 3 not running, 4 cannot tell)."`
	Restart    RestartCmd    `cmd:"" help:"Stop a daemon and start it again with the options it was started with."`
	Reload     ReloadCmd     `cmd:"" help:"Ask a daemon to reopen its log and reload (SIGHUP; SIGUSR1 for nohup, which ignores SIGHUP)."`
	Reopen     ReopenCmd     `cmd:"" help:"Ask a daemon to reopen its log at its path, after logrotate moved it away (SIGUSR1)."`
	Logs       LogsCmd       `cmd:"" help:"Print the last lines of a daemon's log; with -f, follow it until interrupted."`
	List       ListCmd       `cmd:"" help:"List every instance of the state directory: running, stale or stopped."`
	Delete     DeleteCmd     `cmd:"" help:"Forget a stopped instance: its record and a stale pidfile (its log is kept)."`
	Upgrade    UpgradeCmd    `cmd:"" help:"Start a new copy of a supervised program on the same sockets, wait until it is ready, then drain the old one (start --socket)."`
	Strategies StrategiesCmd `cmd:"" help:"List the ways ${program} can detach a daemon, and what each leaves behind."`
	Unit       UnitCmd       `cmd:"" help:"Print a systemd unit that runs this instance in the foreground (Type=notify), with start's options."`
	Completion CompletionCmd `cmd:"" help:"Print a completion script for bash, zsh or fish, made from the grammar."`
	Version    VersionCmd    `cmd:"" help:"Print the version and what the binary was built from."`
}

// hiddenCmd stands in the grammar for the hidden first arguments (the daemon's, the
// reexec intermediate's), which Init and Main handle before any parsing; it is reached
// only when the program did not call Init first.
type hiddenCmd struct {
	Args []string `arg:"" optional:"" passthrough:"all"`
}

// Run says what is missing.
func (*hiddenCmd) Run(*App) error {
	return withCode(exitFailed, errors.New("the daemon's arguments reached the grammar: call cli.Init() first thing in main, before parsing"))
}

// App is what every command's Run receives: the configuration, the parsed globals, the one
// logger, and where results go.
type App struct {
	Config  Config
	Globals *Globals
	Log     hclog.Logger
	Stdout  io.Writer
}

// KongOptions are the options a Kong grammar that embeds cmds needs: the variables its
// tags use, the hidden commands, and the *App every command's Run receives, made once the
// globals are parsed. Add the program's own options after them.
func (c Config) KongOptions(cmds *Commands) []kong.Option {
	return append(c.commonOptions(cmds),
		kong.DynamicCommand(daemonCommand, "The daemon side of start -d (internal).", "", &hiddenCmd{}, "hidden"),
		kong.DynamicCommand(reexec.Command, "The reexec strategy's intermediate (internal).", "", &hiddenCmd{}, "hidden"),
		kong.DynamicCommand(workloadCommand, "The program's work as a supervised child (internal).", "", &hiddenCmd{}, "hidden"),
		kong.DynamicCommand(supervisor.ExecCommand, "The exec step that hands sockets on (internal).", "", &hiddenCmd{}, "hidden"),
		kong.DynamicCommand(namesCommand, "Print the instance names, for the completions (internal).", "", &NamesCmd{}, "hidden"),
		kong.DynamicCommand("man", "Print the man page, made from the grammar (docs/daemonkit.1).", "", &ManCmd{}, "hidden"),
	)
}

// commonOptions are KongOptions without the hidden commands, which the short grammar of
// one visible command (grammar_one.go) has no use for.
func (c Config) commonOptions(cmds *Commands) []kong.Option {
	c = c.withDefaults()
	return []kong.Option{
		kong.Vars(c.vars()),
		kong.BindToProvider(func() (*App, error) {
			return &App{
				Config:  c,
				Globals: &cmds.Globals,
				Log:     newLogger(c.Name, cmds.LogLevel, cmds.LogFormat, c.Stderr),
				Stdout:  c.Stdout,
			}, nil
		}),
	}
}

// vars feed the grammar's tags.
func (c Config) vars() kong.Vars {
	return kong.Vars{
		"program":          c.Name,
		"default_name":     c.DefaultName,
		"env_prefix":       c.envPrefix(),
		"strategies":       strings.Join(strategy.Names(), ","),
		"default_strategy": c.DefaultStrategy,
		"version":          c.Version,
	}
}

// grammar is the root of Run's grammar: the commands, and the program's own flags.
type grammar struct {
	Commands
}

// runGrammar is Run for a command line that is not a daemon's. It parses with the short
// grammar of one command first (grammar_one.go), and with the whole grammar whenever that
// one cannot give the same answer.
func runGrammar(cfg Config, args []string) int {
	if shortGrammar && onlyVersion(args) {
		return printVersion(cfg)
	}
	var tail []string
	if cutTail {
		args, tail = splitTail(args)
	}
	if word := commandWord(args); shortGrammar && (word != "" || hasVersionFlag(args)) {
		var root grammar
		var short struct{}
		exitCode := -1
		opts := append(cfg.commonOptions(&root.Commands), oneCommandOptions(&root.Commands, word)...)
		opts = append(opts, cfg.parserOptions(func(code int) { exitCode = code })...)
		if parser, err := kong.New(&short, opts...); err == nil {
			kctx, err := parser.Parse(args)
			switch {
			case exitCode >= 0: // --version answered
				return exitCode
			case err == nil && word != "" && kctx.Selected() != nil && kctx.Selected().Name == word && putTail(kctx, args, tail):
				return cfg.Exit(kctx.Run())
			}
		}
	}

	var root grammar
	exitCode := -1
	opts := append(cfg.KongOptions(&root.Commands), kong.UsageOnError())
	opts = append(opts, cfg.parserOptions(func(code int) { exitCode = code })...)
	parser, err := kong.New(&root, opts...)
	if err != nil {
		fmt.Fprintf(cfg.Stderr, "%s: grammar: %v\n", cfg.Name, err)
		return exitSoftware
	}
	kctx, err := parser.Parse(args)
	if err == nil && exitCode < 0 && !putTail(kctx, args, tail) {
		kctx, err = parser.Parse(append(args, tail...)) // what Kong alone makes of it, slowly
	}
	if exitCode >= 0 { // --help or --version asked kong to exit.
		return exitCode
	}
	if err != nil {
		fmt.Fprintf(cfg.Stderr, "%s: error: %v\n", cfg.Name, err)
		var perr *kong.ParseError
		if errors.As(err, &perr) && perr.Context != nil {
			fmt.Fprintf(cfg.Stderr, "run %q for usage\n", helpCommand(cfg.Name, perr.Context))
		}
		return exitUsage
	}
	return cfg.Exit(kctx.Run())
}

// parserOptions are the options of Run's parsers, the short and the whole: names, writers,
// the program's own flags, and exit, which records the code Kong would exit with.
func (cfg Config) parserOptions(exit func(int)) []kong.Option {
	opts := []kong.Option{
		kong.Name(cfg.Name),
		kong.Description(cfg.Description),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Writers(cfg.Stdout, cfg.Stderr),
		kong.Exit(exit),
	}
	if cfg.Flags != nil {
		opts = append(opts, kong.Embed(cfg.Flags))
	}
	return opts
}

// hasVersionFlag says whether --version comes before any "--".
func hasVersionFlag(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "--version" {
			return true
		}
	}
	return false
}

// newLogger makes the one logger of a process; everything else gets it passed down.
func newLogger(name, level, format string, out io.Writer) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       name,
		Level:      hclog.LevelFromString(level),
		JSONFormat: format == "json",
		Output:     out,
	})
}

// helpCommand is the --help command line for the command the user was typing.
func helpCommand(program string, ctx *kong.Context) string {
	if cmd := ctx.Selected(); cmd != nil {
		return cmd.FullPath() + " --help" // FullPath starts with the program's name
	}
	return program + " --help"
}
