package launcher_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/daemonkit/daemonkit/launcher"
)

// TestFailedLaunchEmptyLog: a launch that fails removes the log it created if nothing was
// written to it (an empty, sticky log would never be aged out by a tmpfiles cleaner), and
// leaves alone a log that was there before, even empty, and one that has content.
func TestFailedLaunchEmptyLog(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before bool   // the log is there, empty, before the launch
		script string // the daemon's: it exits before it is ready
		kept   bool
	}{
		{"made and empty", false, "exit 1", false},
		{"there before, empty", true, "exit 1", true},
		{"made, with content", false, "echo cannot start >&2; exit 1", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, spec, e := shellDaemon(t, tc.script)
			spec.LogPath = filepath.Join(e.Dir, "logs", "app.log")
			if tc.before {
				if err := os.MkdirAll(filepath.Dir(spec.LogPath), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(spec.LogPath, nil, 0o640); err != nil {
					t.Fatal(err)
				}
			}
			_, err := launch(t, context.Background(), s, spec)
			if !errors.Is(err, launcher.ErrExited) {
				t.Fatalf("err = %v; want ErrExited", err)
			}
			_, serr := os.Lstat(spec.LogPath)
			if kept := serr == nil; kept != tc.kept {
				t.Errorf("log kept: %v (%v); want %v", kept, serr, tc.kept)
			}
		})
	}
}
