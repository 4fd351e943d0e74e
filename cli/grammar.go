package cli

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
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
	StateDir  string           `env:"${env_prefix}STATE_DIR" placeholder:"DIR" help:"Where pidfiles and records live (${env}). Default: /run/${program} as root, else ~/.local/state/${program} (the same from a login shell, cron or sudo -u), else, for a user without a local home of their own (nobody, a home on NFS), /tmp/${program}-UID (/tmp itself, whatever TMPDIR says)."`
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
	List       ListCmd       `cmd:"" help:"List every instance of the state directory, and its state: running, starting, restarting, stopping, stopped, failed, down (not running; its record unreadable), stale or unknown."`
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
	Config  Config       // the program's, with its defaults filled in (Name, Version, Stdout, ...)
	Globals *Globals     // the global flags as parsed: --log-level, --state-dir, ...
	Log     hclog.Logger // the command's logger, made from --log-level and --log-format, writing to Config.Stderr
	Stdout  io.Writer    // where the command's results go: Config.Stdout

	// own and ownAfter are the program's own arguments, given before the command word
	// and, its root flags, after it (see ownArgs): advice to paste repeats them where they
	// were (see commandStart). common and commonAfter are the same without the flags of
	// Config.Flags, for advice to run a command that ignores them.
	own, ownAfter       []string
	common, commonAfter []string

	// progress, when set, is where notes on a command's progress go (progressOut), at
	// once: forEachInstance sets it while it gathers each instance's other output.
	progress io.Writer
	// yieldTurn, when set, runs a wait with the instance's turn among forEachInstance's
	// given up meanwhile (whileWaiting).
	yieldTurn func(wait func())
	// stderrUntil is Config.Stderr through writesUntilInterrupted, once a command asked
	// for it (stderrUntilInterrupted): one for the whole command.
	stderrUntil *untilInterrupted
}

// whileWaiting runs wait, a wait for something else than the command's own work (a start
// of the instance to end), giving up meanwhile the instance's turn in forEachInstance, which
// acts on maxParallel instances at once: a reload --all waiting for many starting
// instances still reloads the running ones at once.
func (a *App) whileWaiting(wait func()) {
	if a.yieldTurn == nil {
		wait()
		return
	}
	a.yieldTurn(wait)
}

// progressOut is where a note on the command's progress goes ("waiting for ..."): at once,
// even while forEachInstance gathers an instance's other output to print it together.
func (a *App) progressOut() io.Writer {
	if a.progress != nil {
		return a.progress
	}
	return a.Config.Stderr
}

// KongOptions are the options a Kong grammar that embeds cmds needs: the variables its
// tags use, the hidden commands, and the *App every command's Run receives, made once the
// globals are parsed. Add the program's own options after them.
//
// A Config with a programming error (see Run) makes kong.New fail with an error that
// names the field and the fix (kong.Must panics with it), before anything is parsed; so
// does a flag of the program's own grammar, above daemonkit's commands, that has a name,
// alias or short of one of theirs (a root flag Name: --name is stop's), which it would
// take over, whatever the order of the fields; and a Config.Flags none of whose fields is
// a flag of this grammar (only Main and Run add them to theirs: this one would parse none
// of them, nor set their defaults), or whose flags are embedded under a command that start
// is not below (checkFlagsAboveStart). A grammar that embeds the struct Config.Flags points
// at (a field with an embed:"" tag) parses them itself, and start carries them on. A nil
// cmds makes kong.New fail too, saying what to pass.
func (c Config) KongOptions(cmds *Commands) []kong.Option {
	if cmds == nil {
		return []kong.Option{kong.OptionFunc(func(*kong.Kong) error { return errNilCommands })}
	}
	return append(c.kongOptions(cmds, nil), kong.PostBuild(func(k *kong.Kong) error {
		if err := checkFlagsInGrammar(k.Model, c.Flags); err != nil {
			return err
		}
		return checkFlagsAboveStart(k.Model, cmds, c.Flags)
	}))
}

// errNilCommands is kong.New's error for KongOptions(nil).
var errNilCommands = errors.New("daemonkit: cfg.KongOptions(nil): pass cfg.KongOptions(&grammar.Commands), a pointer to the cli.Commands the grammar embeds")

// kongOptions are KongOptions without the check that the grammar has Config.Flags: Run's
// own grammar adds those flags itself (parserOptions). The flags of checked, Config.Flags
// or nil, are left out of the check of the program's flags against daemonkit's, for
// checkFlagClashes to make.
func (c Config) kongOptions(cmds *Commands, checked any) []kong.Option {
	opts := append(c.commonOptions(cmds), kong.OptionFunc(func(*kong.Kong) error { return c.check() }),
		kong.PostBuild(func(k *kong.Kong) error { return checkGrammarClashes(k.Model, cmds, checked) }))
	for _, h := range hiddenCommands() {
		opts = append(opts, kong.DynamicCommand(h.name, h.help, "", h.cmd, "hidden"))
	}
	return opts
}

// checkFlagsInGrammar refuses a Config.Flags, flags, none of whose fields is a flag of
// app, a grammar of the program's own: it would parse none of them, nor set their
// defaults, and the serve function would read their zero values.
func checkFlagsInGrammar(app *kong.Application, flags any) error {
	if flags == nil {
		return nil
	}
	found := false
	_ = kong.Visit(app, func(n kong.Visitable, next kong.Next) error {
		if f, ok := n.(*kong.Flag); ok && inFlags(flags, f) {
			found = true
		}
		return next(nil)
	})
	if found {
		return nil
	}
	return fmt.Errorf("Config.Flags (%T) has no flag in this grammar: only Main and Run add its fields to theirs, and this one would parse none of them, nor set their defaults; declare them in the grammar, a field of that type with an embed:\"\" tag beside cli.Commands, and point Config.Flags at that field, or leave Config.Flags nil", flags)
}

// hiddenCommand is one command KongOptions adds to the grammar, hidden from its help.
type hiddenCommand struct {
	name, help string
	cmd        any // a pointer to the command's struct
}

// hiddenCommands are the commands KongOptions adds, each with a fresh struct.
func hiddenCommands() []hiddenCommand {
	return []hiddenCommand{
		{daemonCommand, "The daemon side of start -d (internal).", &hiddenCmd{}},
		{reexec.Command, "The reexec strategy's intermediate (internal).", &hiddenCmd{}},
		{workloadCommand, "The program's work as a supervised child (internal).", &hiddenCmd{}},
		{supervisor.ExecCommand, "The exec step that hands sockets on (internal).", &hiddenCmd{}},
		{namesCommand, "Print the instance names, for the completions (internal).", &NamesCmd{}},
		{"man", "Print the man page, made from the grammar (docs/daemonkit.1).", &ManCmd{}},
	}
}

// commonOptions are KongOptions without the hidden commands, which the short grammar of
// one visible command (grammar_one.go) has no use for.
func (c Config) commonOptions(cmds *Commands) []kong.Option {
	c = c.withDefaults()
	return []kong.Option{
		kong.OptionFunc(func(*kong.Kong) error { cmds.Start.optioned = true; return nil }), // before the build: see StartCmd.Help
		kong.Vars(c.vars()),
		kong.BindToProvider(func(kctx *kong.Context) (*App, error) {
			own, ownAfter := ownArgs(c, kctx, true)
			common, commonAfter := ownArgs(c, kctx, false)
			return &App{
				Config:      c,
				Globals:     &cmds.Globals,
				Log:         newLogger(c.Name, cmds.LogLevel, cmds.LogFormat, c.Stderr),
				Stdout:      c.Stdout,
				own:         own,
				ownAfter:    ownAfter,
				common:      common,
				commonAfter: commonAfter,
			}, nil
		}),
		negativeNumbers(),
		kong.WithBeforeReset(ignoreEmptyEnvars),
		kong.WithBeforeApply(func(kctx *kong.Context) error { return checkEnvEnums(kctx, &cmds.Start.Strategy) }),
		kong.WithBeforeApply(func(kctx *kong.Context) error { return checkStrategyFlag(kctx, &cmds.Start.Strategy) }),
		kong.WithAfterApply(func(kctx *kong.Context) error {
			return checkEmptyValues(kctx, func(f *kong.Flag) bool {
				return isProgramFlag(c.Flags, f) && !programFlagsApply(kctx, cmds) // ignored, so never refused
			})
		}),
		kong.WithAfterApply(checkTildes),
		kong.WithAfterApply(checkOneDashFlags),
		kong.WithAfterApply(func(kctx *kong.Context) error { return checkProgramFlags(kctx, c.Flags, cmds) }),
		kong.WithAfterApply(func(kctx *kong.Context) error {
			if !programFlagsApply(kctx, cmds) {
				return nil // ignored by this command: its values are not checked either
			}
			return validateProgramFlags(c.Flags)
		}),
	}
}

// validateProgramFlags calls the Validate method of the program's own flags (Config.Flags),
// if they have one, once they are parsed: its error is a usage error. Kong validates the
// commands' structs, not one embedded as global flags.
func validateProgramFlags(flags any) error {
	if v, ok := flags.(interface{ Validate() error }); ok {
		return v.Validate()
	}
	return nil
}

// checkProgramFlags refuses, as a usage error, the program's own flags (Config.Flags: the
// built-in server's --listen, say) given on the command line of a start or unit that
// supervises another program, where its own work, which they configure, does not run:
// they would be ignored without a word.
func checkProgramFlags(kctx *kong.Context, flags any, cmds *Commands) error {
	if flags == nil || kctx.Selected() == nil {
		return nil
	}
	programFlagsOfRestart(kctx, flags, &cmds.Restart)
	if command := startCommand(kctx, cmds); len(command) == 0 || len(command) == 1 && command[0] == "--" {
		return nil
	}
	for _, el := range kctx.Path {
		if el.Flag != nil && isProgramFlag(flags, el.Flag) {
			return fmt.Errorf("--%s configures %s's own work, which does not run when a program is given after --: leave it out", el.Flag.Name, kctx.Model.Name)
		}
	}
	return nil
}

// startCommand is the program's command line given to the start or unit command line
// kctx selected (with Kong's "--" in front, if given), nil for any other command.
func startCommand(kctx *kong.Context, cmds *Commands) []string {
	if kctx.Selected() == nil {
		return nil
	}
	switch kctx.Selected().Name {
	case "start":
		return cmds.Start.Command
	case "unit":
		return cmds.Unit.Command
	}
	return nil
}

// programFlagsApply reports whether the program's own flags (Config.Flags) configure what
// the command line kctx runs: a start or unit of the program's own work. Every other
// command ignores them.
func programFlagsApply(kctx *kong.Context, cmds *Commands) bool {
	if kctx.Selected() == nil || kctx.Selected().Name != "start" && kctx.Selected().Name != "unit" {
		return false
	}
	command := startCommand(kctx, cmds)
	return len(command) == 0 || len(command) == 1 && command[0] == "--"
}

// isProgramFlag reports whether f is one of the program's own flags (a field of flags,
// Config.Flags).
func isProgramFlag(flags any, f *kong.Flag) bool {
	if flags == nil || !f.Target.CanAddr() {
		return false
	}
	own := reflect.ValueOf(flags).Elem()
	begin := own.UnsafeAddr()
	at := f.Target.UnsafeAddr()
	return begin <= at && at < begin+own.Type().Size()
}

// checkEmptyValues refuses, as a usage error, a flag given empty on the command line
// (--log "" or --user= from an unset shell variable, say), as an empty --name is refused,
// where "" would quietly mean something else than meant: for a path flag (pathFlags), its
// default (a log in /var/log, a state directory in /run); for a flag tagged
// notempty:"WHAT" (--user, --group, a program's own --listen), the flag left out (the
// work run as root) or worse (a server on every interface). A flag ignored says is left
// alone: the command it is given to ignores it.
func checkEmptyValues(kctx *kong.Context, ignored func(*kong.Flag) bool) error {
	for _, el := range kctx.Path {
		if el.Flag == nil || ignored(el.Flag) {
			continue
		}
		name := "--" + el.Flag.Name
		what := el.Flag.Tag.Get("notempty")
		if !pathFlags[name] && what == "" {
			continue
		}
		empty := false
		switch v := el.Flag.Target.Interface().(type) {
		case string:
			empty = v == ""
		case []string:
			empty = len(v) == 0 || slices.Contains(v, "") // Kong makes "" an empty list
		}
		if !empty {
			continue
		}
		if pathFlags[name] {
			what = "path"
		}
		switch {
		case el.Flag.HasDefault && el.Flag.Default != "":
			return fmt.Errorf("%s: empty %s; give one, or leave the flag out for its default (%s)", name, what, el.Flag.Default)
		case pathFlags[name] && !noDefaultPaths[name]:
			return fmt.Errorf("%s: empty path; leave the flag out for its default", name)
		default:
			return fmt.Errorf("%s: empty %s; give one, or leave the flag out", name, what)
		}
	}
	return nil
}

// checkTildes refuses a path flag's value that begins with a ~ the shell left alone, as
// many do after = (--log=~/web.log) and every one does in quotes: the path would name a
// directory called "~" in the working directory, made there quietly.
func checkTildes(kctx *kong.Context) error {
	for _, el := range kctx.Path {
		if el.Flag == nil || !pathFlags["--"+el.Flag.Name] {
			continue
		}
		values, _ := el.Flag.Target.Interface().([]string)
		if v, ok := el.Flag.Target.Interface().(string); ok {
			values = []string{v}
		}
		for _, v := range values {
			if strings.HasPrefix(v, "~") {
				return fmt.Errorf("--%s %s: a ~ the shell did not expand (it does not after = or in quotes): the path would lie under a directory named ~ here; give --%s %s, with a space, or the absolute path", el.Flag.Name, v, el.Flag.Name, v)
			}
		}
	}
	return nil
}

// checkOneDashFlags refuses a word before "--" that is a long flag's name typed with one
// dash, as Go's flag package takes them: Kong reads -name as the short flag -n with the
// value "ame", and start would run an instance named ame.
func checkOneDashFlags(kctx *kong.Context) error {
	long := map[string]bool{}
	var visit func(n *kong.Node)
	visit = func(n *kong.Node) {
		for _, f := range n.Flags {
			long[f.Name] = true
		}
		for _, c := range n.Children {
			visit(c)
		}
	}
	visit(kctx.Model.Node)
	for _, arg := range kctx.Args {
		if arg == "--" {
			return nil
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(arg, "-"), "=")
		if strings.HasPrefix(arg, "-") && !strings.HasPrefix(arg, "--") && len(name) > 1 && long[name] {
			return fmt.Errorf("%s: a long flag takes two dashes here: --%s (with one, it is read as short flags: -%c %s)", arg, strings.TrimPrefix(arg, "-"), name[0], arg[2:])
		}
	}
	return nil
}

// noDefaultPaths are the path flags (pathFlags) that have no default: left out, there is
// no such file.
var noDefaultPaths = map[string]bool{"--env-file": true, "--child-pidfile": true}

// checkStrategyFlag gives an unregistered --strategy (from the command line, or its
// environment variable) strategy.Lookup's error, which names the import that may be
// missing, before Kong's enum check would say only which names it accepts. target is the
// flag's field; a command line without it (any command but start) is left alone.
func checkStrategyFlag(kctx *kong.Context, target *string) error {
	for _, f := range kctx.Flags() {
		if !f.Target.CanAddr() || f.Target.Addr().Interface() != any(target) {
			continue
		}
		name, _ := kctx.FlagValue(f).(string)
		if _, err := strategy.Lookup(name); err != nil {
			if env := envSource(kctx, f); env != "" {
				return fmt.Errorf("%s=%q: %w; unset it, or give --%s", env, name, err, f.Name)
			}
			return fmt.Errorf("--%s: %w", f.Name, err)
		}
	}
	return nil
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

// usageError is a usage error Kong found once the flags were read, with the help command
// to run ("" if none), said in one line.
type usageError struct {
	err  error
	hint string
}

func (e usageError) Error() string {
	if e.hint == "" {
		return e.err.Error()
	}
	return e.err.Error() + "; " + e.hint
}

func (e usageError) Unwrap() error { return e.err }

// runGrammar is Run for a command line that is not a daemon's. It parses with the short
// grammar of one command first (grammar_one.go), and with the whole grammar whenever that
// one cannot give the same answer.
func runGrammar(cfg Config, args []string) int {
	if shortGrammar && onlyVersion(args) {
		return printVersion(cfg)
	}
	if err := notUTF8Args(args); err != nil {
		fmt.Fprintf(cfg.Stderr, "%s: %v\n", cfg.Name, err)
		return exitUsage
	}
	if err := notUTF8Env(cfg.envPrefix()); err != nil {
		fmt.Fprintf(cfg.Stderr, "%s: %v\n", cfg.Name, err)
		return exitUsage
	}
	if err := startPollerFor(commandWord(args)); err != nil {
		fmt.Fprintf(cfg.Stderr, "%s: %v\n", cfg.Name, err)
		if commandWord(args) == "status" {
			return exitCannotTell
		}
		return exitFailed
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
		if parser, err := newParser(&short, opts...); err == nil {
			kctx, err := parser.Parse(args)
			switch {
			case exitCode >= 0: // --version answered
				return exitCode
			case err == nil && word != "" && kctx.Selected() != nil && kctx.Selected().Name == word && putTail(kctx, args, tail):
				return cfg.withDefaults().exitIn(root.LogFormat, kctx.Run())
			}
		}
	}

	var root grammar
	exitCode := -1
	opts := append(cfg.kongOptions(&root.Commands, cfg.Flags), kong.UsageOnError())
	opts = append(opts, cfg.parserOptions(func(code int) { exitCode = code })...)
	parser, err := newParser(&root, opts...)
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
		var perr *kong.ParseError
		hint, startNote := "", ""
		switch {
		case !errors.As(err, &perr) || perr.Context == nil:
		case perr.Context.Selected() == nil && !cfg.ownsProcess:
			hint = commandsHint(cfg.Name, perr.Context.Model)
		default:
			hint = fmt.Sprintf("run %q for usage", helpCommand(cfg.Name, perr.Context))
			startNote = cmp.Or(startOptionNote(cfg, perr), restartArgsNote(cfg, perr, args))
		}
		if root.LogFormat == "json" || readLogFormat(perr) == "json" { // one JSON line, as every error
			if startNote != "" {
				hint = startNote + "; " + hint
			}
			return cfg.withDefaults().exitIn("json", withCode(exitUsage, usageError{err: err, hint: hint}))
		}
		fmt.Fprintf(cfg.Stderr, "%s: error: %v\n", cfg.Name, visible(err.Error()))
		if note := ownFlagNote(cfg, args); note != "" {
			fmt.Fprintln(cfg.Stderr, visible(note))
		}
		if startNote != "" {
			fmt.Fprintln(cfg.Stderr, visible(startNote))
		}
		if hint != "" {
			fmt.Fprintln(cfg.Stderr, visible(hint))
		}
		return exitUsage
	}
	return cfg.withDefaults().exitIn(root.LogFormat, kctx.Run())
}

// readLogFormat is the --log-format Kong had read when it stopped at perr (nil: none): Kong
// sets the grammar's fields only once it has read every flag, so an error while it reads
// them (an unknown command or flag, a bad value) leaves root.LogFormat unset, though
// --log-format json came before it.
func readLogFormat(perr *kong.ParseError) string {
	if perr == nil || perr.Context == nil {
		return ""
	}
	for _, tr := range perr.Context.Path {
		if tr.Flag != nil && tr.Flag.Name == "log-format" {
			s, _ := perr.Context.FlagValue(tr.Flag).(string)
			return s
		}
	}
	return ""
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
		opts = append(opts, kong.Embed(cfg.Flags), kong.Help(programFlagsHelp(cfg.Flags)), kong.PostBuild(func(k *kong.Kong) error {
			return checkFlagClashes(k.Model, cfg.Flags)
		}))
	}
	return opts
}

// checkFlagClashes says which of the flags of Config.Flags, flags (a pointer to a struct),
// have a name, alias, short or negation that a flag of daemonkit's already has: a global
// flag, or a flag of any command, which the program's flag, at the root, would silently
// take over (a Flags field Name would make start --name web start the default instance).
// Kong does not see it: embedded structs are checked each on their own. app is the grammar
// being built, the whole or the short one of one command: both see a clash with any
// command, through daemonkitFlagPlaces.
func checkFlagClashes(app *kong.Application, flags any) error {
	strct := reflect.ValueOf(flags).Elem()
	begin := strct.UnsafeAddr()
	end := begin + strct.Type().Size()
	own := func(f *kong.Flag) bool {
		return f.Target.CanAddr() && begin <= f.Target.UnsafeAddr() && f.Target.UnsafeAddr() < end
	}
	words := map[string]*kong.Flag{} // every word of the program's flags
	var order []string
	for _, f := range app.Node.Flags {
		if own(f) {
			for _, w := range flagWordsOf(f) {
				words[w] = f
				order = append(order, w)
			}
		}
	}
	clashes := map[string][]string{} // a word of the program's flags: where else it is
	for _, w := range order {
		clashes[w] = daemonkitFlagPlaces(w)
	}
	var visit func(n *kong.Node) // the grammar itself, in case the table missed a flag
	visit = func(n *kong.Node) {
		where := "global"
		if n.Parent != nil {
			where = strings.TrimSpace(n.Path())
		}
		for _, f := range n.Flags {
			if own(f) {
				continue
			}
			for _, w := range flagWordsOf(f) {
				if words[w] != nil && !slices.Contains(clashes[w], where) {
					clashes[w] = append(clashes[w], where)
				}
			}
		}
		for _, child := range n.Children {
			visit(child)
		}
	}
	visit(app.Node)
	var msgs []string
	for _, w := range order {
		if len(clashes[w]) == 0 {
			continue
		}
		fix := `rename the field or give it a name:"..." tag`
		if !strings.HasPrefix(w, "--") {
			fix = `give it another short:"..." tag, or none`
		}
		var where []string
		if cmds := slices.DeleteFunc(slices.Clone(clashes[w]), func(s string) bool { return s == "global" }); len(cmds) < len(clashes[w]) {
			where = append(where, "a global flag")
			clashes[w] = cmds
		}
		if len(clashes[w]) > 0 {
			where = append(where, "a flag of "+strings.Join(clashes[w], ", "))
		}
		msgs = append(msgs, fmt.Sprintf("Config.Flags field %s: its %s is already %s, which it would take over: %s",
			fieldPath(strct, words[w].Target), w, strings.Join(where, " and "), fix))
	}
	if len(msgs) > 0 {
		return errors.New(strings.Join(msgs, "; "))
	}
	return nil
}

// flagWordsOf are the words that select f on a command line: --name, its aliases, -n, and
// its negation, as Kong makes them.
func flagWordsOf(f *kong.Flag) []string {
	words := []string{"--" + f.Name}
	for _, a := range f.Aliases {
		if len([]rune(a)) == 1 {
			words = append(words, "-"+a)
		} else {
			words = append(words, "--"+a)
		}
	}
	if f.Short != 0 {
		words = append(words, "-"+string(f.Short))
	}
	switch neg := f.Tag.Negatable; neg {
	case "":
	case "_":
		words = append(words, "--no-"+f.Name)
	default:
		words = append(words, "--"+neg)
	}
	return words
}

// fieldPath is the name of the field of strct (a struct) that target is, "Name" or
// "Server.Name", or "?" if none is.
func fieldPath(strct, target reflect.Value) string {
	addr := target.UnsafeAddr()
	for i := 0; i < strct.NumField(); i++ {
		f := strct.Field(i)
		if f.UnsafeAddr() == addr && f.Type() == target.Type() {
			return strct.Type().Field(i).Name
		}
		if f.Kind() == reflect.Struct && f.UnsafeAddr() <= addr && addr < f.UnsafeAddr()+f.Type().Size() {
			if inner := fieldPath(f, target); inner != "?" {
				return strct.Type().Field(i).Name + "." + inner
			}
		}
	}
	return "?"
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

// commandsHint is the hint of a usage error at the root of Run's grammar, app, in a
// program that parses its own flags before it calls Run: "PROG --help" is the program's
// to answer there (the flag package prints the program's own flags alone, and exits), so
// the hint lists the commands, and names "PROG COMMAND --help", which reaches Run in every
// such program.
func commandsHint(program string, app *kong.Application) string {
	var words []string
	for _, c := range app.Children {
		if !c.Hidden {
			words = append(words, c.Name)
		}
	}
	return fmt.Sprintf("commands: %s; run \"%s COMMAND --help\" for a command's usage", strings.Join(words, ", "), program)
}

// helpCommand is the --help command line for the command the user was typing.
func helpCommand(program string, ctx *kong.Context) string {
	if cmd := ctx.Selected(); cmd != nil {
		return cmd.FullPath() + " --help" // FullPath starts with the program's name
	}
	return program + " --help"
}
