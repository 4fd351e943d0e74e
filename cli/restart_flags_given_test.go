package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alecthomas/kong"

	"github.com/daemonkit/daemonkit/instance"
)

// requiredOwnFlags is a Kong program whose Config.Flags holds a required flag, which Kong
// asks of every command, restart too.
type requiredOwnFlags struct {
	Own struct {
		Greeting string `required:""`
		Listen   string `default:"127.0.0.1:0"`
	} `embed:""`
	Commands
}

// TestRestartTakesRecordedProgramFlags: the program's own flags given to restart are
// accepted when they equal the recorded ones (a required flag must be given to every
// command; a script gives a global one before each), and refused when they differ, which
// restart would ignore.
func TestRestartTakesRecordedProgramFlags(t *testing.T) {
	var g requiredOwnFlags
	cfg := Config{Name: "app", Flags: &g.Own, Serve: func(context.Context, func(string)) error { return nil }}
	k, err := kong.New(&g, append([]kong.Option{kong.Name("app"), kong.Exit(func(int) {})}, cfg.KongOptions(&g.Commands)...)...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Parse([]string{"--greeting", "hi", "--listen", "127.0.0.1:0", "restart", "q"}); err != nil {
		t.Fatalf("app --greeting hi restart q: %v; want it parsed", err)
	}
	if len(g.Restart.given) != 2 {
		t.Fatalf("restart kept %d program flags given, want 2 (--greeting, --listen)", len(g.Restart.given))
	}
	app := &App{Config: cfg, Globals: &Globals{}}
	for recorded, want := range map[string]string{
		`{"Greeting":"hi","Listen":"127.0.0.1:0"}`:  "",
		`{"Greeting":"yo","Listen":"127.0.0.1:0"}`:  "--greeting is not restart's, and differs from the value q was started with",
		`{"Greeting":"hi","Listen":"127.0.0.1:80"}`: "--listen is not restart's, and differs",
		// a field the record lacks (added since, a record of an older build) has no
		// value to compare with: not its zero value
		`{"Listen":"127.0.0.1:0"}`: "",
		`{"greeting":"hi"}`:        "",
		`{"Greeting":"yo"}`:        "--greeting is not restart's, and differs",
		`{}`:                       "",
		``:                         "",
	} {
		err := checkGivenFlags(app, &request{Name: "q", Flags: json.RawMessage(recorded)}, g.Restart.given)
		switch {
		case want == "" && err != nil:
			t.Errorf("recorded %s: %v; want restart to go on", recorded, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "'app stop q'")):
			t.Errorf("recorded %s: %v; want %q", recorded, err, want)
		}
	}
	err = checkGivenFlags(app, &request{Name: "q", Supervise: &superviseRequest{}}, g.Restart.given)
	if err == nil || !strings.Contains(err.Error(), "runs a program of its own (-- PROG)") {
		t.Errorf("a supervised instance: %v; want --greeting refused as no flag of its program", err)
	}
}

// TestRestartNamesNegatedFlagAsTyped: a negatable flag given as --no-verbose is named so
// in restart's refusal and its advice, not as --verbose, which was not typed.
func TestRestartNamesNegatedFlagAsTyped(t *testing.T) {
	var g struct {
		Own struct {
			Verbose bool `negatable:""`
			Quiet   bool `negatable:"loud"`
		} `embed:""`
		Commands
	}
	cfg := Config{Name: "app", Flags: &g.Own, Serve: func(context.Context, func(string)) error { return nil }}
	k, err := kong.New(&g, append([]kong.Option{kong.Name("app"), kong.Exit(func(int) {})}, cfg.KongOptions(&g.Commands)...)...)
	if err != nil {
		t.Fatal(err)
	}
	app := &App{Config: cfg, Globals: &Globals{}}
	for args, want := range map[string]string{
		"--no-verbose":    "--no-verbose is not restart's, and differs from the value q was started with: restart starts the instance with the options it was started with, which its record keeps; to change them, 'app stop q', then 'app start -d --name q --no-verbose' with",
		"--verbose=false": "--verbose is not restart's",
		"--loud":          "--loud is not restart's",
	} {
		if _, err := k.Parse([]string{args, "restart", "q"}); err != nil {
			t.Fatalf("app %s restart q: %v; want it parsed", args, err)
		}
		err := checkGivenFlags(app, &request{Name: "q", Flags: json.RawMessage(`{"Verbose":true,"Quiet":true}`)}, g.Restart.given)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("app %s restart q, started with --verbose --quiet: %v; want %q", args, err, want)
		}
	}
}

// TestRestartAdviceNamesPidfileInstanceNot: an instance whose pidfile is not its name's
// default in the state directory (start --pidfile PATH) is not named in restart's advice:
// 'stop NAME' there would reach another instance of that name, the state directory's.
func TestRestartAdviceNamesPidfileInstanceNot(t *testing.T) {
	var g struct {
		Own struct{ Verbose bool } `embed:""`
		Commands
	}
	cfg := Config{Name: "app", Flags: &g.Own, Serve: func(context.Context, func(string)) error { return nil }}
	k, err := kong.New(&g, append([]kong.Option{kong.Name("app"), kong.Exit(func(int) {})}, cfg.KongOptions(&g.Commands)...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("APP_STATE_DIR", "")
	dir := t.TempDir()
	app := &App{Config: cfg, Globals: &Globals{StateDir: dir}}
	if _, err := k.Parse([]string{"--verbose", "restart", "--pidfile", "/srv/q.pid"}); err != nil {
		t.Fatalf("app --verbose restart --pidfile /srv/q.pid: %v; want it parsed", err)
	}
	for pidfile, want := range map[string]string{
		"/srv/q.pid":                    "'app stop --state-dir " + dir + " NAME', then 'app start --state-dir " + dir + " -d --name NAME --verbose'",
		filepath.Join(dir, "q.pid"):     "'app stop --state-dir " + dir + " q', then 'app start --state-dir " + dir + " -d --name q --verbose'",
		filepath.Join(dir, "other.pid"): "'app stop --state-dir " + dir + " NAME'",
	} {
		err := checkGivenFlags(app, &request{Name: "q", PIDFile: pidfile, Flags: json.RawMessage(`{"Verbose":false}`)}, g.Restart.given)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("restart of q, pidfile %s: %v; want %q", pidfile, err, want)
		}
	}
}

// TestRestartAdviceNamesNestedCommand: in a grammar that holds the commands under a
// command of the program's own (app daemon restart), restart's advice names that command
// in the lines it gives to paste, whether it refuses a program flag that differs from the
// recorded one or Kong refuses one of start's options.
func TestRestartAdviceNamesNestedCommand(t *testing.T) {
	var g struct {
		Daemon struct {
			Own struct {
				Greeting string
			} `embed:""`
			Commands
		} `cmd:""`
	}
	cfg := Config{Name: "app", Flags: &g.Daemon.Own, Serve: func(context.Context, func(string)) error { return nil }}
	k, err := kong.New(&g, append([]kong.Option{kong.Name("app"), kong.Exit(func(int) {})}, cfg.KongOptions(&g.Daemon.Commands)...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("APP_STATE_DIR", "") // the default state directory: the lines name none
	kctx, err := k.Parse([]string{"daemon", "restart", "--greeting", "yo", "q"})
	if err != nil {
		t.Fatalf("app daemon restart --greeting yo q: %v; want it parsed", err)
	}
	const want = "to change them, 'app daemon stop q', then 'app daemon start -d --name q --greeting ...' with"
	if _, err := kctx.Call(func(app *App) error {
		err := checkGivenFlags(app, &request{Name: "q", Flags: json.RawMessage(`{"Greeting":"hi"}`)}, g.Daemon.Restart.given)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("app daemon restart --greeting yo q, started with --greeting hi: %v; want %q", err, want)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	_, err = k.Parse([]string{"daemon", "restart", "--umask", "077", "q"})
	var out strings.Builder
	cfg.Stderr = &out
	if code := cfg.Exit(err); code != exitUsage || !strings.Contains(out.String(), "'app daemon stop NAME', then 'app daemon start -d --name NAME --umask ...'") {
		t.Errorf("app daemon restart --umask 077 q: exit %d, said %q; want exit 2 and the advice to stop and start with app daemon", code, out.String())
	}
}

// TestOwnRestartGetsNoRestartAdvice: a program whose own command is also named restart
// (own restart SERVICE, beside daemon restart) gets, for its parse errors, Kong's message
// alone, not daemonkit's restart advice, which is of another command.
func TestOwnRestartGetsNoRestartAdvice(t *testing.T) {
	var g struct {
		Restart struct {
			Service string `arg:""`
		} `cmd:""`
		Daemon struct{ Commands } `cmd:""`
	}
	cfg := Config{Name: "own", Serve: func(context.Context, func(string)) error { return nil }}
	k, err := kong.New(&g, append([]kong.Option{kong.Name("own"), kong.Exit(func(int) {})}, cfg.KongOptions(&g.Daemon.Commands)...)...)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"restart", "web", "--umask", "077"}, {"restart", "web", "--foo"}, {"restart", "web", "--", "x"}} {
		_, err = k.Parse(args)
		var out strings.Builder
		cfg.Stderr = &out
		if code := cfg.Exit(err); code != exitUsage || strings.Contains(out.String(), "restart starts") || strings.Contains(out.String(), "restart takes") {
			t.Errorf("own %s: exit %d, said %q; want exit 2 and no advice of daemonkit's restart", strings.Join(args, " "), code, out.String())
		}
	}
}

// TestAdviceInAnotherStateDirNested: the line advised for an instance in another state
// directory (an earlier default one, root's, a copy's) keeps the program's command in a
// nested grammar, and gives --state-dir after the command word, where the commands take it.
func TestAdviceInAnotherStateDirNested(t *testing.T) {
	var g struct {
		Daemon struct{ Commands } `cmd:""`
	}
	cfg := Config{Name: "app", Serve: func(context.Context, func(string)) error { return nil }}
	k, err := kong.New(&g, append([]kong.Option{kong.Name("app"), kong.Exit(func(int) {})}, cfg.KongOptions(&g.Daemon.Commands)...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("APP_STATE_DIR", "")
	kctx, err := k.Parse([]string{"daemon", "status", "web"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kctx.Call(func(app *App) error {
		got := app.commandIn("/srv/old", "stop", instance.Paths{Name: "web", PIDFile: "/srv/old/web.pid"})
		if !strings.HasPrefix(got, "app daemon stop --state-dir /srv/old ") || !strings.Contains(got, "web") {
			t.Errorf("commandIn = %q; want app daemon stop --state-dir /srv/old, and web", got)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
