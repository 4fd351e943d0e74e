// Package cli is daemonkit's command layer, importable: start (in the foreground, or as a
// daemon with -d, ready when it returns), stop, status, restart, reload, strategies and the
// rest of daemonkit's commands (list, logs, ...: docs/commands.md), for any Go program,
// with every strategy registered in the binary and every guarantee the daemonkit command
// gives. Each command's file adapts flags into a typed request for the packages below
// (launcher, server, instance); nothing here knows a strategy by name.
//
// The program's work is its Serve function. Three ways in (docs/embedding.md):
//
//   - Main(Config): the whole command line is daemonkit's.
//   - With Kong, embed Commands in the program's own grammar, call Init first thing in main,
//     parse with Config.KongOptions, and finish with Config.Exit.
//   - A program that parses its own flags (the flag package, cobra, by hand) calls Init
//     first thing in main, parses, and hands the rest of the command line to Run, which
//     returns the exit code.
//
// Whichever, the daemon that start -d detaches is the same program run again with the same
// arguments (so it sees its own flags as the user gave them), marked by a hidden first
// argument that Init and Main recognise before anything is parsed.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/strategy"
)

// ServeFunc is the program's work. It calls ready once it serves (with the address it
// listens on, or ""), then runs until ctx is cancelled (SIGTERM or SIGINT), drains, and
// returns nil. An error or panic before ready fails the start (start -d exits 1 quoting
// it). Its standard output and error go to the instance's log; ctx carries the daemon's
// logger (hclog.FromContext) and Instance(ctx) says which instance it is. The processes
// it starts are the instance's: what of them still runs once it has returned (or once the
// daemon gave up on its drain) is killed before the pidfile is given up, so that a stop
// leaves nothing running.
type ServeFunc func(ctx context.Context, ready func(addr string)) error

// Config describes the program that embeds the commands. Only Serve is required. A field
// that breaks its rule below is a programming error: Main and Run exit 70 saying which
// field and why, before they parse anything, and kong.New fails with KongOptions.
type Config struct {
	// Name is the program's name in usage and messages, the default instance name, the
	// default state directory (/run/NAME as root) and the prefix of its environment
	// variables (NAME_STATE_DIR, ...: NAME in upper case, each character but letters and
	// digits made '_', and '_' before a leading digit, so that a shell can set them).
	// Default: the binary's file name, the base name of os.Args[0] (what go build, go run .
	// and go build -o NAME make it), except under go run of files (go run main.go, whose
	// temporary binary go names after its first file), which gets the name go build gives
	// the package's binary: the last element of its import path, made from the go.mod
	// above main.main's file, less a major version suffix (example.com/app/v2 is app). It
	// must be a valid name for a new instance (instance.ValidateNewName): 1 to 64 ASCII
	// letters, digits, '.', '_' and '-', not starting with a dot or a dash.
	Name string
	// Description is the one line under the usage.
	Description string
	// Version is what --version prints. Default: "dev".
	Version string
	// Serve is the program's work.
	Serve ServeFunc
	// Reload, if set, is called on SIGHUP (reload), after the log is reopened (start -d) or
	// in the foreground; under the nohup strategy, whose daemon ignores SIGHUP, on SIGUSR1,
	// which reload sends it instead, and so also at every reopen. Its error (or panic) is
	// logged and the program runs on; reload returns once the signal is sent, so it does
	// not report that error. Its context carries what Serve's does: the daemon's logger
	// (hclog.FromContext) and Instance; a stop cancels it, and is not held up by a reload
	// under way.
	Reload func(ctx context.Context) error
	// Flags, if set, points at a struct of the program's own flags (Kong tags), which
	// Main and Run add to the grammar as global flags (a grammar of the program's own
	// declares them itself, in a struct it embeds that Flags points at: KongOptions refuses
	// a Flags none of whose fields is a flag of that grammar); start carries their values to the
	// daemon, and restart brings them back (a flag added by a newer build since, which the
	// record lacks, with its default, not its zero value). They must survive encoding/json: start refuses
	// (exit 70, naming the field) values that do not come back from it (a json:"-" tag,
	// an *os.File). It holds flags only: a cmd or arg field is exit 70 too. A flag of
	// theirs may not share a name, alias or short with a global flag or with any command's
	// flag (a field Name would be --name, which is start's and stop's): rename the field or
	// give it a name:"..." tag. On the command line of a start or unit of the program's own
	// work (every other command ignores them): a string flag tagged notempty:"WHAT"
	// ("address", say) is refused, as a usage error, when given empty (--listen= from an
	// unset shell variable), where "" would mean something else than its default; and if
	// the struct has a method Validate() error (on the pointer), it is called once the
	// command line is parsed, and its error is a usage error (exit 2) before anything runs.
	Flags any
	// DefaultName is the instance name without --name. Default: Name. It must be a valid
	// instance name, as Name.
	DefaultName string
	// DefaultStrategy is what start -d uses without --strategy. Default: "reexec", which
	// package cli registers itself. Any other must be registered (strategy.Register, by
	// a blank import of its package, such as github.com/daemonkit/daemonkit/strategy/setsid).
	DefaultStrategy string
	// Stdout and Stderr receive results and logs. Default: os.Stdout and os.Stderr.
	Stdout, Stderr io.Writer

	// ownsProcess is set by Main, which runs first thing in main with os.Args: the process
	// may then execute itself again (see server.ExecUnblocked), which a program that calls
	// Run with arguments of its own, after work of its own, must not.
	ownsProcess bool
	// runArgs are the arguments Run was given (set by Run): a program that parses its own
	// flags first (the flag package's) gives Run the rest of os.Args, and the words of
	// os.Args before them are its own (see ownArgs).
	runArgs []string
	viaRun  bool
}

// devVersion is Config.Version's default: a build without a release version.
const devVersion = "dev"

// withDefaults fills in what the zero values mean.
func (c Config) withDefaults() Config {
	if c.Name == "" {
		c.Name = defaultName()
	}
	if c.Version == "" {
		c.Version = devVersion
	}
	if c.DefaultName == "" {
		c.DefaultName = c.Name
	}
	if c.DefaultStrategy == "" {
		c.DefaultStrategy = "reexec"
	}
	if c.Stdout == nil {
		c.Stdout = os.Stdout
	}
	if c.Stderr == nil {
		c.Stderr = os.Stderr
	}
	return c
}

// check says what programming error c has, as the program gave it (before withDefaults):
// a Name or DefaultName that is not a valid instance name, a DefaultStrategy that nobody
// registered, or Flags that do not point at a struct, or hold a command or a positional
// argument. Main and Run exit 70 for it.
func (c Config) check() error {
	d := c.withDefaults()
	const rule = "must be a valid instance name (1 to 64 ASCII letters, digits, '.', '_' and '-', not starting with a dot or a dash)"
	if err := instance.ValidateNewName(d.Name); err != nil {
		if c.Name == "" {
			return fmt.Errorf("Config.Name, empty, defaults to %q (the program's file name: see Config.Name), and it %s: give Config.Name: %w", d.Name, rule, err)
		}
		return fmt.Errorf("Config.Name %s: %w", rule, err)
	}
	if err := instance.ValidateNewName(c.DefaultName); c.DefaultName != "" && err != nil {
		return fmt.Errorf("Config.DefaultName %s: %w", rule, err)
	}
	if c.Serve == nil {
		return errors.New("Config.Serve is nil: it is the program's work, which start runs (Serve: func(ctx context.Context, ready func(addr string)) error)")
	}
	if _, err := strategy.Lookup(d.DefaultStrategy); err != nil {
		return fmt.Errorf("Config.DefaultStrategy must be a registered strategy: %w", err)
	}
	if c.Flags != nil {
		v := reflect.ValueOf(c.Flags)
		if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
			return fmt.Errorf("Config.Flags is a %T: it must point at a struct of flags (Flags: &flags)", c.Flags)
		}
		if err := checkFlagsShape(v.Elem().Type(), ""); err != nil {
			return err
		}
	}
	return nil
}

// reportBadConfig prints c's programming error, if it has one, and says whether it did.
func (c Config) reportBadConfig() bool {
	err := c.check()
	if err == nil {
		return false
	}
	c = c.withDefaults()
	fmt.Fprintf(c.Stderr, "%s: %v\n", c.Name, err)
	return true
}

// envPrefix is the prefix of the program's environment variables: "DAEMONKIT_" for
// daemonkit, "MY_APP_" for my-app, "_9LIVES_" for 9lives (a shell's variable name may not
// start with a digit).
func (c Config) envPrefix() string {
	lead := ""
	if c.Name != "" && '0' <= c.Name[0] && c.Name[0] <= '9' {
		lead = "_"
	}
	return lead + strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z':
			return r - 'a' + 'A'
		case 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
			return r
		}
		return '_'
	}, c.Name) + "_"
}

// Main runs the program's command line, os.Args, and exits with its code, as Run returns it
// (70 for a programming error in cfg). In a daemon that start -d detached, or in the reexec
// strategy's intermediate, it runs that instead without parsing anything.
func Main(cfg Config) {
	if cfg.reportBadConfig() {
		os.Exit(exitSoftware)
	}
	cfg = cfg.withDefaults()
	if code, ok := runHidden(cfg, true); ok {
		os.Exit(code)
	}
	cfg.ownsProcess = true
	os.Exit(Run(cfg, os.Args[1:]))
}

// Init is for a program that parses its own arguments before it hands over to Run or to
// the Kong commands: call it first thing in main. In the reexec strategy's intermediate
// it starts the daemon and exits. In a daemon that start -d detached, it puts back the
// arguments start was given into os.Args and returns, so that the program parses them as it
// did then; the start command (or Run) then runs the daemon. Anywhere else it does nothing.
// Called after flag.Parse, it is too late to give the program its flags back: a daemon then
// exits 70 saying so, and start -d exits 1 quoting it, rather than serve with every flag at
// its default.
func Init() {
	if code, ok := runHidden(Config{}.withDefaults(), false); ok {
		os.Exit(code)
	}
}

// Run parses args (the command line without the program name) against daemonkit's
// commands and runs the chosen one, printing results to cfg.Stdout and errors to
// cfg.Stderr, and returns the exit code: 0 success, 1 failure, 2 a usage error, 3 already
// running (start) or not running (status), 4 status cannot tell, and 70 (EX_SOFTWARE) for
// a programming error of the program, not the user's: a field of cfg that breaks its rule
// (see Config), a flag of cfg.Flags that clashes with one of daemonkit's, or Kong tags that
// do not build a grammar. For 70 it says which, and what to change, before it parses
// anything. In a daemon (after Init) it runs the daemon, whatever args say, and then exits
// the process with the daemon's code rather than return (once: another Run at the same
// time, from another goroutine, waits for that exit); in a daemon whose program called
// neither Main nor Init first (a test binary without the TestMain that docs/embedding.md
// shows), it says so and exits 70, which start -d quotes. It never calls os.Exit otherwise.
func Run(cfg Config, args []string) int {
	if cfg.reportBadConfig() {
		return exitSoftware
	}
	cfg = cfg.withDefaults()
	if pending != nil {
		runPending(cfg) // never returns
	}
	if err := notInitialised(); err != nil {
		fmt.Fprintf(cfg.Stderr, "%s: %v\n", cfg.Name, err)
		os.Exit(exitSoftware) // the daemon's: what the program does after Run is not
	}
	cfg.runArgs, cfg.viaRun = args, true
	return runGrammar(cfg, args)
}

// roundDuration keeps a duration readable: 12ms, 1.52s.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond)
	case d < time.Second:
		return d.Round(time.Millisecond)
	default:
		return d.Round(10 * time.Millisecond)
	}
}
