//go:build linux

package cli_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/cli"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// showsInstance is a program whose serve function writes what cli.Instance tells it.
var showsInstance = cli.Config{
	Name: "shows",
	Serve: func(ctx context.Context, ready func(string)) error {
		fmt.Fprintf(os.Stderr, "instance %+v\n", cli.Instance(ctx))
		ready("")
		<-ctx.Done()
		return nil
	},
	Reload: func(ctx context.Context) error {
		hclog.FromContext(ctx).Info("reload hook", "instance", fmt.Sprintf("%+v", cli.Instance(ctx)))
		return nil
	},
}

// TestInstanceInfo: Instance(ctx) says the name, the strategy ("" in the foreground,
// whatever --strategy says) and the shutdown timeout the daemon keeps; the reload hook's
// context tells the same, and carries the daemon's logger (its name, its format).
func TestInstanceInfo(t *testing.T) {
	state := t.TempDir()
	command := programIn(t, state, "CLI_TEST_SHOW_INSTANCE")
	if out, err := command("--log-format", "json", "start", "-d", "--name", "d", "--strategy", "setsid", "--shutdown-timeout", "3s").CombinedOutput(); err != nil {
		t.Fatalf("start -d: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = command("stop", "--name", "d").Run() })
	log, err := os.ReadFile(filepath.Join(state, "d.log"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "instance {Name:d Strategy:setsid ShutdownTimeout:3s}"; !strings.Contains(string(log), want) {
		t.Errorf("detached: want %q in the log:\n%s", want, log)
	}
	if out, err := command("reload", "--name", "d").CombinedOutput(); err != nil {
		t.Fatalf("reload: %v\n%s", err, out)
	}
	hook := regexp.MustCompile(`(?m)^\{"@level":"info","@message":"reload hook","@module":"shows.*","instance":"\{Name:d Strategy:setsid ShutdownTimeout:3s\}"\}$`)
	testutil.WaitFor(t, "the reload hook's line in the log, in the daemon's format: "+hook.String(), func() bool {
		log, _ = os.ReadFile(filepath.Join(state, "d.log"))
		return hook.Match(log)
	})

	fg := command("start", "--name", "f", "--strategy", "nohup")
	stderr, err := fg.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := fg.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { // SIGTERM, as a stop; SIGKILL if it is not gone in time
		_ = fg.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = fg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(testutil.Deadline):
			_ = fg.Process.Kill()
			<-done
		}
	}()
	lines := make(chan string)
	go func() {
		for sc := bufio.NewScanner(stderr); sc.Scan(); {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(testutil.Deadline)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("the foreground start ended before its serve function said anything")
			}
			if !strings.HasPrefix(line, "instance ") {
				continue
			}
			if want := "instance {Name:f Strategy: ShutdownTimeout:10s}"; line != want {
				t.Errorf("foreground: %q, want %q", line, want)
			}
			return
		case <-timeout:
			t.Fatal("no line from the foreground serve function")
		}
	}
}
