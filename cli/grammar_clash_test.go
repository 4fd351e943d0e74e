package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
)

// Grammars of a program that puts its own flags after cli.Commands, where Kong does not
// see them clash with a command's flags below.
type (
	rootNameAfter struct {
		Commands
		Name string `help:"The program's own name."`
	}
	rootShortDAfter struct {
		Commands
		Debug bool `short:"d"`
	}
	rootAliasAfter struct {
		Commands
		Timeout string `name:"deadline" aliases:"timeout"`
	}
	nestedNameAfter struct {
		Daemon struct {
			Commands
			Name string
		} `cmd:""`
	}
	nestedTimeoutAfter struct {
		Verbose bool
		Daemon  daemonCmd `cmd:""`
	}
	daemonCmd struct {
		Commands
		Timeout string
	}
	rootNoClash struct {
		Commands
		Greeting string `short:"g"`
		Other    struct {
			Name string // a flag of the program's own command: no clash
		} `cmd:""`
	}
)

// TestKongOptionsRefuseFlagClash: a flag of the program's own Kong grammar that shares a
// word with a flag of daemonkit's commands below it makes kong.New fail, whatever the
// order of the fields, rather than take that word over ('stop --name web' stopping the
// default instance, 'start -d' running in the foreground).
func TestKongOptionsRefuseFlagClash(t *testing.T) {
	cfg := Config{Name: "app", Serve: func(context.Context, func(string)) error { return nil }}
	for _, tc := range []struct {
		grammar any
		cmds    func(any) *Commands
		want    []string
	}{
		{&rootNameAfter{}, func(g any) *Commands { return &g.(*rootNameAfter).Commands },
			[]string{"rootNameAfter.Name: its --name is already a flag of daemonkit's start, stop, status", `name:"..."`}},
		{&rootShortDAfter{}, func(g any) *Commands { return &g.(*rootShortDAfter).Commands },
			[]string{"rootShortDAfter.Debug: its -d is already a flag of daemonkit's start,", `short:"..."`}},
		{&rootAliasAfter{}, func(g any) *Commands { return &g.(*rootAliasAfter).Commands },
			[]string{"rootAliasAfter.Timeout: its --timeout is already a flag of daemonkit's stop, restart"}},
		// Below a command of the program's: the commands named are those beside cli.Commands
		// there, and a struct without a type name is named by its command's path.
		{&nestedNameAfter{}, func(g any) *Commands { return &g.(*nestedNameAfter).Daemon.Commands },
			[]string{`app daemon's Name: its --name is already a flag of daemonkit's start, stop, status, restart, reload, reopen, logs, delete, upgrade, unit, which it would take over: rename the field or give it a name:"..." tag`}},
		{&nestedTimeoutAfter{}, func(g any) *Commands { return &g.(*nestedTimeoutAfter).Daemon.Commands },
			[]string{`daemonCmd.Timeout: its --timeout is already a flag of daemonkit's stop, restart, upgrade, which it would take over: rename the field or give it a name:"..." tag`}},
	} {
		_, err := kong.New(tc.grammar, append([]kong.Option{kong.Name("app")}, cfg.KongOptions(tc.cmds(tc.grammar))...)...)
		if err == nil {
			t.Errorf("%T: kong.New succeeded; want it to refuse the clash", tc.grammar)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%T: kong.New: %v\nwant it to say %q", tc.grammar, err, w)
			}
		}
	}
	var ok rootNoClash
	if _, err := kong.New(&ok, cfg.KongOptions(&ok.Commands)...); err != nil {
		t.Errorf("a grammar without a clash: kong.New: %v", err)
	}
}

// TestKongOptionsRefuseConfigFlags: Config.Flags given to KongOptions makes kong.New fail,
// saying to declare them in the program's grammar: that grammar would parse none of them,
// nor set their defaults, and the serve function would read zero values.
func TestKongOptionsRefuseConfigFlags(t *testing.T) {
	type own struct {
		Port int `default:"8080"`
	}
	cfg := Config{Name: "app", Flags: &own{}, Serve: func(context.Context, func(string)) error { return nil }}
	var g rootNoClash
	_, err := kong.New(&g, cfg.KongOptions(&g.Commands)...)
	if err == nil || !strings.Contains(err.Error(), "Config.Flags (*cli.own) has no flag in this grammar") {
		t.Errorf("kong.New with KongOptions of a Config with Flags: %v; want it to refuse them", err)
	}
}

// rootEmbedsFlags is a Kong grammar that declares its own flags in a struct it embeds, and
// points Config.Flags at it, so that start carries them to the daemon and restart brings
// them back.
type rootEmbedsFlags struct {
	Commands
	F struct {
		Word string `default:"hi"`
	} `embed:""`
}

// TestKongOptionsAcceptConfigFlagsInGrammar: a Config.Flags that points inside the
// program's own grammar (a struct it embeds) is parsed by that grammar: KongOptions must
// not refuse it, and the grammar parses its flags as any other.
func TestKongOptionsAcceptConfigFlagsInGrammar(t *testing.T) {
	var g rootEmbedsFlags
	cfg := Config{Name: "app", Flags: &g.F, Serve: func(context.Context, func(string)) error { return nil }}
	parser, err := kong.New(&g, cfg.KongOptions(&g.Commands)...)
	if err != nil {
		t.Fatalf("kong.New with Config.Flags embedded in the grammar: %v", err)
	}
	if _, err := parser.Parse([]string{"--word", "hello", "status"}); err != nil {
		t.Fatalf("parse: %v", err)
	}
	if g.F.Word != "hello" {
		t.Errorf("Word = %q, want hello", g.F.Word)
	}
}

// rootEmbedsClashingFlags embeds, as Config.Flags, a struct whose Name would take over
// --name of daemonkit's commands.
type rootEmbedsClashingFlags struct {
	Commands
	F struct {
		Name string
	} `embed:""`
}

// TestKongOptionsRefuseClashInConfigFlags: the flags of a Config.Flags embedded in the
// program's grammar are the program's own flags like any other: one that would take over
// a word of daemonkit's commands is refused (Run's grammar leaves them to
// checkFlagClashes; this one has no other check).
func TestKongOptionsRefuseClashInConfigFlags(t *testing.T) {
	var g rootEmbedsClashingFlags
	cfg := Config{Name: "app", Flags: &g.F, Serve: func(context.Context, func(string)) error { return nil }}
	_, err := kong.New(&g, cfg.KongOptions(&g.Commands)...)
	if err == nil || !strings.Contains(err.Error(), "its --name is already a flag of daemonkit's start, stop, status") {
		t.Errorf("kong.New: %v; want it to refuse the embedded flag Name", err)
	}
}

// siblingEmbedsFlags embeds Config.Flags under a command of its own beside the one that
// holds cli.Commands: start, below daemon, never parses them.
type siblingEmbedsFlags struct {
	Serve struct {
		F struct {
			Word string `default:"hi"`
		} `embed:""`
	} `cmd:""`
	Daemon struct {
		Commands
	} `cmd:""`
}

// TestKongOptionsRefuseConfigFlagsBesideStart: a Config.Flags embedded under a sibling
// command of the one that holds cli.Commands is refused as a clash is, naming where it is
// and where it goes: start would carry zero values to the serve function.
func TestKongOptionsRefuseConfigFlagsBesideStart(t *testing.T) {
	var g siblingEmbedsFlags
	cfg := Config{Name: "app", Flags: &g.Serve.F, Serve: func(context.Context, func(string)) error { return nil }}
	_, err := kong.New(&g, append([]kong.Option{kong.Name("app")}, cfg.KongOptions(&g.Daemon.Commands)...)...)
	want := `is embedded under "app serve", which start is not below`
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "embed it beside cli.Commands") {
		t.Errorf("kong.New with Config.Flags under a sibling command: %v; want it to say %q", err, want)
	}
}
