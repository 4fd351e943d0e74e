package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/instance"
)

// TestRestartAdviceStateDir: the stop and start that restart's usage error advises name
// the --state-dir given only where a line without it would reach another directory: not
// the default state directory, typed out, nor the one $APP_STATE_DIR names; but the
// default one when $APP_STATE_DIR names another.
func TestRestartAdviceStateDir(t *testing.T) {
	def, _, err := instance.DefaultStateDir("app")
	if err != nil {
		t.Skip(err)
	}
	other := filepath.Join(t.TempDir(), "other")
	for _, tc := range []struct {
		env, given string
		want       string // the state directory the advice names, "" for none
	}{
		{"", def, ""},
		{"", other, other},
		{other, other, ""},
		{other, def, def},
	} {
		t.Setenv("APP_STATE_DIR", tc.env)
		var out, errs bytes.Buffer
		cfg := Config{Name: "app", Serve: func(context.Context, func(string)) error { return nil }, Stdout: &out, Stderr: &errs}
		code := Run(cfg, []string{"--state-dir", tc.given, "restart", "web", "--umask", "022"})
		stop, start := "'app stop web'", "'app start -d --name web --umask ...'"
		if tc.want != "" {
			stop = "'app stop --state-dir " + tc.want + " web'"
			start = "'app start --state-dir " + tc.want + " -d --name web --umask ...'"
		}
		if got := errs.String(); code != exitUsage || !strings.Contains(got, stop+", then "+start) {
			t.Errorf("APP_STATE_DIR=%q app --state-dir %s restart web --umask 022: exit %d, %q; want %d, advising %s, then %s",
				tc.env, tc.given, code, got, exitUsage, stop, start)
		}
	}
}

// TestCommandForStateDir: a parsed command's advice (commandFor) names the state
// directory by the same rule: the default one, given while $APP_STATE_DIR names another,
// is named, or the line would reach that other one.
func TestCommandForStateDir(t *testing.T) {
	def, _, err := instance.DefaultStateDir("app")
	if err != nil {
		t.Skip(err)
	}
	other := filepath.Join(t.TempDir(), "other")
	for _, tc := range []struct{ env, dir, want string }{
		{"", def, "app stop --name web"},
		{"", other, "app stop --state-dir " + other + " --name web"},
		{other, other, "app stop --name web"},
		{other, def, "app stop --state-dir " + def + " --name web"},
	} {
		t.Setenv("APP_STATE_DIR", tc.env)
		app := &App{Config: Config{Name: "app"}.withDefaults(), Globals: &Globals{StateDir: tc.dir}}
		if got := app.commandFor("stop", instance.Paths{Name: "web", PIDFile: filepath.Join(tc.dir, "web.pid")}); got != tc.want {
			t.Errorf("APP_STATE_DIR=%q, state directory %s: %q, want %q", tc.env, tc.dir, got, tc.want)
		}
	}
}

// TestRestartAdviceNamesTheGivenInstance: the lines restart advises after a parse error
// name the instance the command line gave before the error, as its argument or --name,
// so they paste as they are; NAME stands in where none was given yet, where two differ,
// where the one given is no valid name, and where a --pidfile is given (before the error
// or after it), which the lines would not reach.
func TestRestartAdviceNamesTheGivenInstance(t *testing.T) {
	t.Setenv("APP_STATE_DIR", "")
	for args, name := range map[string]string{
		"restart web --umask 022":              "web",
		"restart --name web --umask 022":       "web",
		"restart --name web web --umask 022":   "web",
		"restart --umask 022 web":              "NAME",
		"restart --all --umask 022":            "NAME",
		"restart web --name other --umask 022": "NAME",
		"restart .web --umask 022":             "NAME",
		"restart web -- --port 9":              "web",
		// an instance given by its --pidfile too: a line with its name alone reaches
		// another instance of that name (the state directory's), whatever the order
		"restart web --pidfile /srv/web.pid --umask 022":        "NAME",
		"restart --pidfile=/srv/web.pid --name web --umask 022": "NAME",
		"restart web --umask 022 --pidfile /srv/web.pid":        "NAME",
		"restart --name web --umask 022 --pidfile=/srv/web.pid": "NAME",
		"restart web --pidfile /srv/web.pid -- --port 9":        "NAME",
	} {
		var out, errs bytes.Buffer
		cfg := Config{Name: "app", Serve: func(context.Context, func(string)) error { return nil }, Stdout: &out, Stderr: &errs}
		code := Run(cfg, strings.Fields(args))
		want := "'app stop " + name + "', then 'app start -d --name " + name + " "
		if got := errs.String(); code != exitUsage || !strings.Contains(got, want) {
			t.Errorf("app %s: exit %d, %q; want %d, advising %s", args, code, got, exitUsage, want)
		}
	}
}
