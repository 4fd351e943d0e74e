package launcher_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/launcher"
	"github.com/daemonkit/daemonkit/strategy"
)

// TestNilStrategy: a strategy whose Descriptor.New returns nil, and a nil Strategy, make
// Launch return an error that says so (naming the strategy when it has a name) rather
// than crash, and start nothing.
func TestNilStrategy(t *testing.T) {
	strategy.Register(strategy.Descriptor{Name: "test-new-returns-nil", New: func() strategy.Strategy { return nil }})
	d, err := strategy.Lookup("test-new-returns-nil")
	if err != nil {
		t.Fatal(err)
	}
	pidfile := filepath.Join(t.TempDir(), "web.pid")
	spec := strategy.Spec{Name: "web", PIDFile: pidfile, LogPath: filepath.Join(t.TempDir(), "web.log")}
	for _, tc := range []struct {
		what string
		s    strategy.Strategy
		want string
	}{
		{"New returned nil", d.New(), `start web: strategy "test-new-returns-nil": nil strategy`},
		{"nil", nil, "start web: nil strategy"},
	} {
		_, err := launcher.Launch(context.Background(), tc.s, spec, nil)
		if !errors.Is(err, strategy.ErrNilStrategy) || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: Launch = %v, want an error starting %q that wraps strategy.ErrNilStrategy", tc.what, err, tc.want)
		}
	}
}
