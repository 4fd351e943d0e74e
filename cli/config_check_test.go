package cli

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"go/format"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/kong"
)

// runConfig runs args with cfg (its Serve and writers filled in) with the short grammar on
// or off, and returns the exit code and what it wrote to stderr.
func runConfig(t *testing.T, cfg Config, args []string, short bool) (int, string) {
	t.Helper()
	defer func(was bool) { shortGrammar = was }(shortGrammar)
	shortGrammar = short
	var out, errs bytes.Buffer
	if cfg.Serve == nil {
		cfg.Serve = func(context.Context, func(string)) error { return nil }
	}
	cfg.Stdout, cfg.Stderr = &out, &errs
	code := Run(cfg, args)
	return code, errs.String()
}

// wantAll fails t unless s has every one of want.
func wantAll(t *testing.T, what, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%s: %q lacks %q", what, s, w)
		}
	}
}

// TestFlagsClash: a Config.Flags field whose flag is already a global flag or a command's
// (long name, short, alias or negation) is a programming error, exit 70 before anything is
// parsed, whichever grammar (the short one of one command, or the whole) would parse the
// command line, with a message that names the field, the flag, where it is and the fix.
func TestFlagsClash(t *testing.T) {
	for _, tc := range []struct {
		flags any
		want  []string
	}{
		{&struct{ Name string }{}, []string{"Config.Flags field Name", "--name", "start", "stop", `name:"..."`}},
		{&struct{ StateDir string }{}, []string{"Config.Flags field StateDir", "--state-dir", "a global flag", `name:"..."`}},
		{&struct {
			Detach string `name:"daemon" short:"d"`
		}{}, []string{"Config.Flags field Detach", "-d", "start", `short:"..."`}},
		{&struct {
			Quiet bool `aliases:"strategy"`
		}{}, []string{"Config.Flags field Quiet", "--strategy", "start"}},
		{&struct {
			Colour bool `name:"colour" negatable:"json"`
		}{}, []string{"Config.Flags field Colour", "--json", "status", "list"}},
		{&struct{ Help bool }{}, []string{"Config.Flags field Help", "--help", "a global flag"}},
		{&struct {
			Server struct{ Name string } `embed:""`
		}{}, []string{"Config.Flags field Server.Name", "--name"}},
	} {
		for _, short := range []bool{true, false} {
			// Never start -d: without the check, it would start a daemon.
			for _, args := range [][]string{{"stop", "--name", "web"}, {"start", "--name", "web", "--help"}, {"--version"}, {}} {
				code, errs := runConfig(t, Config{Name: "lib", Flags: tc.flags}, append(args, "--state-dir", t.TempDir()), short)
				what := strings.Join(args, " ")
				if code != exitSoftware {
					t.Errorf("%T, %q (short grammar %v): exit %d, want %d: %s", tc.flags, what, short, code, exitSoftware, errs)
				}
				wantAll(t, what, errs, tc.want...)
			}
		}
	}
	// Renamed, the same field is fine.
	flags := &struct {
		Name string `name:"app-name"`
	}{}
	if code, errs := runConfig(t, Config{Name: "lib", Flags: flags}, []string{"--app-name", "x", "strategies"}, true); code != 0 || flags.Name != "x" {
		t.Errorf("a renamed field: exit %d, Name %q: %s", code, flags.Name, errs)
	}
}

// TestShortGrammarSeesClashes: the short grammar of each command word, built on its own,
// refuses a Config.Flags flag that clashes with that command's or a global one.
func TestShortGrammarSeesClashes(t *testing.T) {
	cfg := Config{Name: "lib", Flags: &struct {
		StateDir string
		Name     string
	}{}}.withDefaults()
	for word := range oneCommandWords() {
		var root grammar
		var short struct{}
		opts := append(cfg.commonOptions(&root.Commands), oneCommandOptions(&root.Commands, word)...)
		opts = append(opts, cfg.parserOptions(func(int) {})...)
		_, err := kong.New(&short, opts...)
		if err == nil {
			t.Errorf("%s: the short grammar was built", word)
			continue
		}
		wantAll(t, word, err.Error(), "Config.Flags field StateDir: its --state-dir is already a global flag")
	}
}

// wantBadConfig checks that cfg is a programming error: exit 70 from Run before anything
// is parsed, whatever the command line and either grammar, with a message that has every
// one of want; and that kong.New with its KongOptions fails.
func wantBadConfig(t *testing.T, cfg Config, want ...string) {
	t.Helper()
	for _, short := range []bool{true, false} {
		// Never start -d: without the check, it could start a daemon.
		for _, args := range [][]string{{"start", "--help"}, {"status"}, {"--version"}, {"strategies"}} {
			code, errs := runConfig(t, cfg, append(args, "--state-dir", t.TempDir()), short)
			if code != exitSoftware {
				t.Errorf("%+v, %q: exit %d, want %d: %s", cfg, args, code, exitSoftware, errs)
			}
			wantAll(t, strings.Join(args, " "), errs, want...)
		}
	}
	var cmds Commands
	if _, err := kong.New(&cmds, cfg.KongOptions(&cmds)...); err == nil {
		t.Errorf("%+v: kong.New with its KongOptions succeeded", cfg)
	}
}

// TestFlagsNotAPointer: Config.Flags that does not point at a struct is a programming
// error that says so, not a panic inside Kong.
func TestFlagsNotAPointer(t *testing.T) {
	type flags struct{ Greeting string }
	wantBadConfig(t, Config{Name: "lib", Flags: flags{}}, "Config.Flags is a cli.flags", "must point at a struct")
	wantBadConfig(t, Config{Name: "lib", Flags: (*flags)(nil)}, "Config.Flags is a *cli.flags", "must point at a struct")
	wantBadConfig(t, Config{Name: "lib", Flags: new(string)}, "Config.Flags is a *string", "must point at a struct")
}

// TestBadDefaultStrategy: a Config.DefaultStrategy nobody registered is the program's
// error, not the user's --strategy: exit 70, naming the field, the registered names and
// the likely missing import.
func TestBadDefaultStrategy(t *testing.T) {
	wantBadConfig(t, Config{Name: "lib", DefaultStrategy: "no-such"},
		"Config.DefaultStrategy must be a registered strategy", `unknown strategy "no-such"`, "known: nohup, reexec, setsid", "forgotten import")
}

// TestBadName: a Config.Name (or DefaultName) that is not a valid instance name is a
// programming error, exit 70, naming the field and the rule.
func TestBadName(t *testing.T) {
	const rule = "1 to 64 ASCII letters, digits, '.', '_' and '-', not starting with a dot"
	wantBadConfig(t, Config{Name: "a/b"}, "Config.Name must be a valid instance name", rule, `"a/b"`, "'/'")
	wantBadConfig(t, Config{Name: "my app"}, "Config.Name must be a valid instance name", rule, "' '")
	wantBadConfig(t, Config{Name: ".hidden"}, "Config.Name must be a valid instance name", rule, "starts with a dot")
	wantBadConfig(t, Config{Name: "lib", DefaultName: "x/y"}, "Config.DefaultName must be a valid instance name", rule, "'/'")
}

// TestUnknownStrategyHint: a --strategy that is not registered, given on the command line
// or in the environment, is a usage error (exit 2) that carries strategy.Lookup's hint.
func TestUnknownStrategyHint(t *testing.T) {
	for _, short := range []bool{true, false} {
		code, errs := runConfig(t, Config{Name: "lib"}, []string{"start", "-d", "--strategy=no-such", "--state-dir", t.TempDir()}, short)
		if code != exitUsage {
			t.Errorf("short grammar %v: exit %d, want %d: %s", short, code, exitUsage, errs)
		}
		wantAll(t, "--strategy=no-such", errs, `--strategy: unknown strategy "no-such"`, "known: nohup, reexec, setsid", "forgotten import")
	}
	t.Setenv("LIB_STRATEGY", "no-such")
	code, errs := runConfig(t, Config{Name: "lib"}, []string{"start", "-d", "--state-dir", t.TempDir()}, true)
	if code != exitUsage {
		t.Errorf("LIB_STRATEGY=no-such: exit %d, want %d: %s", code, exitUsage, errs)
	}
	wantAll(t, "LIB_STRATEGY=no-such", errs, `unknown strategy "no-such"`, "forgotten import")
	// Only start has --strategy: another command ignores the variable.
	if code, errs := runConfig(t, Config{Name: "lib"}, []string{"status", "--state-dir", t.TempDir()}, true); code != exitNotRunning {
		t.Errorf("status with LIB_STRATEGY=no-such: exit %d: %s", code, errs)
	}
}

// TestDaemonkitFlagWordsAsKong: flagWordPlaces holds exactly the flag words of the whole
// grammar that Kong builds, each where Kong puts it. When a flag changes,
// UPDATE_FLAG_WORDS=1 go test -run TestDaemonkitFlagWordsAsKong ./cli writes it again.
func TestDaemonkitFlagWordsAsKong(t *testing.T) {
	cfg := Config{Name: "lib", Serve: func(context.Context, func(string)) error { return nil }}.withDefaults()
	var root grammar
	parser, err := kong.New(&root, append(cfg.kongOptions(&root.Commands, cfg.Flags), cfg.parserOptions(func(int) {})...)...)
	if err != nil {
		t.Fatal(err)
	}
	var want []flagWordPlace
	var visit func(n *kong.Node)
	visit = func(n *kong.Node) {
		where := "global"
		if n.Parent != nil {
			where = strings.TrimSpace(n.Path())
		}
		for _, f := range n.Flags {
			for _, w := range flagWordsOf(f) {
				want = append(want, flagWordPlace{w, where})
			}
		}
		for _, c := range n.Children {
			visit(c)
		}
	}
	visit(parser.Model.Node)
	slices.SortFunc(want, func(a, b flagWordPlace) int {
		return cmp.Or(strings.Compare(a.word, b.word), strings.Compare(a.place, b.place))
	})
	want = slices.Compact(want)
	const table = "flag_words.go"
	if os.Getenv("UPDATE_FLAG_WORDS") != "" {
		var src bytes.Buffer
		src.WriteString("// Code generated by UPDATE_FLAG_WORDS=1 go test -run TestDaemonkitFlagWordsAsKong ./cli; DO NOT EDIT.\n\n")
		src.WriteString("package cli\n\n// flagWordPlaces are the rows of daemonkitFlagPlaces, sorted by word, then place.\n")
		src.WriteString("var flagWordPlaces = [...]flagWordPlace{\n")
		for _, p := range want {
			fmt.Fprintf(&src, "\t{%q, %q},\n", p.word, p.place)
		}
		src.WriteString("}\n")
		formatted, err := format.Source(src.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(table, formatted, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got := flagWordPlaces[:]; !slices.Equal(got, want) {
		for _, p := range want {
			if !slices.Contains(got, p) {
				t.Errorf("%s: Kong has it in %q, %s does not", p.word, p.place, table)
			}
		}
		for _, p := range got {
			if !slices.Contains(want, p) {
				t.Errorf("%s: %s has it in %q, Kong does not", p.word, table, p.place)
			}
		}
		t.Errorf("%s is not the whole grammar's flags (or not sorted): UPDATE_FLAG_WORDS=1 go test -run TestDaemonkitFlagWordsAsKong ./cli makes it again", table)
	}
	if places := daemonkitFlagPlaces("--name"); len(places) < 5 || !slices.Contains(daemonkitFlagPlaces("--state-dir"), "global") {
		t.Errorf("the table is short: --name in %q, --state-dir in %q", places, daemonkitFlagPlaces("--state-dir"))
	}
	if places := daemonkitFlagPlaces("--no-such-flag"); places != nil {
		t.Errorf("--no-such-flag: %q", places)
	}
}

// TestServeRequired: a Config without Serve is a programming error found before anything
// is parsed, as the other fields' are, not a start that fails in the daemon.
func TestServeRequired(t *testing.T) {
	for _, args := range [][]string{{"status"}, {"strategies"}, {"start", "-d"}} {
		var out, errs bytes.Buffer
		code := Run(Config{Name: "lib", Stdout: &out, Stderr: &errs}, append(args, "--state-dir", t.TempDir()))
		if code != exitSoftware {
			t.Errorf("%q: exit %d, want %d: %s", args, code, exitSoftware, errs.String())
		}
		wantAll(t, strings.Join(args, " "), errs.String(), "lib: Config.Serve is nil")
	}
	var cmds Commands
	if _, err := kong.New(&cmds, Config{Name: "lib"}.KongOptions(&cmds)...); err == nil || !strings.Contains(err.Error(), "Config.Serve is nil") {
		t.Errorf("kong.New with the KongOptions of a Config without Serve: %v", err)
	}
}

// TestEnvPrefix: a program's environment variables are named so that a shell can set
// them, whatever its name: upper case, '_' for what is not a letter or digit, and '_'
// before a leading digit.
func TestEnvPrefix(t *testing.T) {
	for name, want := range map[string]string{
		"daemonkit": "DAEMONKIT_",
		"my-app":    "MY_APP_",
		"web.v2":    "WEB_V2_",
		"9lives":    "_9LIVES_",
	} {
		if got := (Config{Name: name}).envPrefix(); got != want {
			t.Errorf("envPrefix of %q = %q, want %q", name, got, want)
		}
	}
}

// TestFlagsHoldFlagsOnly: a Config.Flags field that Kong would make a command or a
// positional argument is a programming error, exit 70, naming the field: daemonkit's own
// command of the same name shadowed it, and an argument was "unexpected" everywhere.
func TestFlagsHoldFlagsOnly(t *testing.T) {
	wantBadConfig(t, Config{Name: "lib", Flags: &struct {
		Start struct{} `cmd:""`
	}{}}, "Config.Flags field Start is a command (cmd tag)")
	wantBadConfig(t, Config{Name: "lib", Flags: &struct {
		Server struct {
			Serve struct{} `kong:"cmd,help='serve'"`
		} `embed:""`
	}{}}, "Config.Flags field Server.Serve is a command (cmd tag)")
	wantBadConfig(t, Config{Name: "lib", Flags: &struct {
		File string `arg:""`
	}{}}, "Config.Flags field File is a positional argument (arg tag)", "make it a flag")
}

// TestFlagsSurviveJSON: program flags whose values would not reach the daemon (carried as
// JSON) are refused when start builds its request, exit 70, naming the field: a json:"-"
// field arrived empty, an *os.File as a zero File whose first read panicked.
func TestFlagsSurviveJSON(t *testing.T) {
	type hidden struct {
		Hidden string `json:"-" default:"dflt"`
	}
	state := t.TempDir()
	for _, short := range []bool{true, false} {
		code, errs := runConfig(t, Config{Name: "lib", Flags: &hidden{}},
			[]string{"--hidden", "given", "--state-dir", state, "--log-dir", state, "start", "-d"}, short)
		if code != exitSoftware || !strings.Contains(errs, "Config.Flags field Hidden does not survive encoding/json") {
			t.Errorf("short grammar %v: exit %d, want %d naming the field: %s", short, code, exitSoftware, errs)
		}
	}
	if err := checkFlagsSurviveJSON(&struct {
		Config *os.File
	}{Config: os.Stdin}); err == nil || !strings.Contains(err.Error(), "field Config does not survive") {
		t.Errorf("an *os.File flag: %v, want it refused", err)
	}
	if err := checkFlagsSurviveJSON(&struct {
		Greeting string
		Ports    []int
		Wait     time.Duration
		Labels   map[string]string
	}{"hi", []int{1, 2}, time.Second, map[string]string{"a": "b"}}); err != nil {
		t.Errorf("flags JSON holds: %v", err)
	}
}
