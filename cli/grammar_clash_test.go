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
		{&nestedNameAfter{}, func(g any) *Commands { return &g.(*nestedNameAfter).Daemon.Commands },
			[]string{"its --name is already a flag of daemonkit's"}},
	} {
		_, err := kong.New(tc.grammar, cfg.KongOptions(tc.cmds(tc.grammar))...)
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
	if err == nil || !strings.Contains(err.Error(), "Config.Flags (*cli.own) is for Main and Run") {
		t.Errorf("kong.New with KongOptions of a Config with Flags: %v; want it to refuse them", err)
	}
}
