package cli

import (
	"context"
	"slices"
	"testing"

	"github.com/alecthomas/kong"
)

// nestedGrammar holds daemonkit's commands under a command of the program's own
// (app daemon start), with the program's Config.Flags beside them, as docs/embedding.md
// allows.
type nestedGrammar struct {
	Verbose bool `short:"v"`
	Daemon  struct {
		Commands
		F struct {
			Port int `default:"8080"`
		} `embed:""`
	} `cmd:""`
}

// TestOwnArgsNested: in a grammar that holds cli.Commands under a command of its own, the
// advice lines' program part (ownArgs) keeps that command's word, and its flags, with
// their values, before daemonkit's command word, so that a line pasted runs that command,
// not an unknown one (app status for app daemon status).
func TestOwnArgsNested(t *testing.T) {
	var g nestedGrammar
	cfg := Config{Name: "app", Flags: &g.Daemon.F, Serve: func(context.Context, func(string)) error { return nil }}
	parser, err := kong.New(&g, append(cfg.KongOptions(&g.Daemon.Commands), kong.Name("app"))...)
	if err != nil {
		t.Fatal(err)
	}
	kctx, err := parser.Parse([]string{"-v", "daemon", "--port", "9", "status", "--state-dir", "/x", "k1", "-v"})
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.withDefaults()
	for _, c := range []struct {
		programFlags  bool
		own, ownAfter []string
	}{
		{true, []string{"-v", "daemon", "--port", "9"}, []string{"-v"}},
		{false, []string{"-v", "daemon"}, []string{"-v"}}, // Config.Flags' left out, value too
	} {
		own, ownAfter := ownArgs(cfg, kctx, c.programFlags)
		if !slices.Equal(own, c.own) || !slices.Equal(ownAfter, c.ownAfter) {
			t.Errorf("ownArgs(programFlags %v) = %q, %q; want %q, %q", c.programFlags, own, ownAfter, c.own, c.ownAfter)
		}
	}
}
