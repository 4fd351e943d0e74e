package cli

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/instance"
)

// TestForEachInstanceWaitGivesTurnUp: an instance's wait for something else
// (whileWaiting) does not hold back the instances whose turn comes after it, with every
// turn taken (here one at a time).
func TestForEachInstanceWaitGivesTurnUp(t *testing.T) {
	defer func(n int) { maxParallel = n }(maxParallel)
	maxParallel = 1
	state := t.TempDir()
	for _, name := range []string{"a", "b"} {
		if err := os.WriteFile(filepath.Join(state, name+".pid"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	app := &App{Config: Config{Name: "daemonkit", Stderr: io.Discard}.withDefaults(), Globals: &Globals{StateDir: state}, Stdout: io.Discard}
	bDone := make(chan struct{})
	err := forEachInstance(context.Background(), app, "test", func(app *App, paths instance.Paths) error {
		if paths.Name == "b" {
			close(bDone)
			return nil
		}
		var err error
		app.whileWaiting(func() {
			select {
			case <-bDone:
			case <-time.After(10 * time.Second):
				err = errors.New("b did not have its turn while a waited")
			}
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
