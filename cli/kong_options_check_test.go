package cli_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/alecthomas/kong"

	"github.com/daemonkit/daemonkit/cli"
)

// TestKongWithoutOptionsSaysSo: a Kong grammar that embeds cli.Commands, at its root or
// under a command of its own, given to kong.New without KongOptions, is told what is
// missing and how to give it, not which variable of a tag Kong could not find.
func TestKongWithoutOptionsSaysSo(t *testing.T) {
	var root struct{ cli.Commands }
	var nested struct {
		Daemon struct{ cli.Commands } `cmd:""`
	}
	for name, grammar := range map[string]any{"root": &root, "nested": &nested} {
		said := func() (said string) {
			defer func() {
				if p := recover(); p != nil {
					said = fmt.Sprint(p)
				}
			}()
			_, err := kong.New(grammar, kong.Name("app"))
			return fmt.Sprintf("no panic (error %v)", err)
		}()
		if !strings.Contains(said, "without its options: pass cfg.KongOptions(&grammar.Commands)") || !strings.Contains(said, "forgotten KongOptions?") {
			t.Errorf("%s: kong.New without KongOptions: %s; want it to name KongOptions", name, said)
		}
	}
	cfg := cli.Config{Name: "app", Serve: func(ctx context.Context, ready func(string)) error { ready(""); <-ctx.Done(); return nil }}
	if _, err := kong.New(&nested, cfg.KongOptions(&nested.Daemon.Commands)...); err != nil {
		t.Errorf("kong.New with KongOptions: %v", err)
	}
}

// TestKongOptionsNilCommands: KongOptions given no Commands (nil), or Commands the
// grammar does not embed, makes kong.New fail or panic naming KongOptions' argument and
// what to pass, not with a nil pointer dereference.
func TestKongOptionsNilCommands(t *testing.T) {
	cfg := cli.Config{Name: "app", Serve: func(ctx context.Context, ready func(string)) error { ready(""); <-ctx.Done(); return nil }}
	var g, other struct{ cli.Commands }
	for name, cmds := range map[string]*cli.Commands{"nil": nil, "another grammar's": &other.Commands} {
		said := func() (said string) {
			defer func() {
				if p := recover(); p != nil {
					said = fmt.Sprint(p)
				}
			}()
			_, err := kong.New(&g, cfg.KongOptions(cmds)...)
			return fmt.Sprint(err)
		}()
		if !strings.Contains(said, "KongOptions(&grammar.Commands)") {
			t.Errorf("kong.New with KongOptions(%s Commands): %s; want it to say to pass KongOptions(&grammar.Commands)", name, said)
		}
	}
}
