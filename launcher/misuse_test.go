package launcher_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/daemonkit/daemonkit/launcher"
	"github.com/daemonkit/daemonkit/strategy"
)

// TestNilStrategy: a strategy whose Descriptor.New returns nil, and a nil Strategy, make
// Launch return an error that says so (naming the strategy when it has a name) rather
// than crash, and start nothing.
func TestNilStrategy(t *testing.T) {
	registerNilStrategy.Do(func() {
		strategy.Register(strategy.Descriptor{Name: nilStrategyName, New: func() strategy.Strategy { return nil }})
	})
	d, err := strategy.Lookup(nilStrategyName)
	if err != nil {
		t.Fatal(err)
	}
	pidfile := filepath.Join(t.TempDir(), "web.pid")
	spec := strategy.Spec{Name: "web", Args: []string{"serve"}, PIDFile: pidfile, LogPath: filepath.Join(t.TempDir(), "web.log")}
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

// nilStrategyName is the strategy TestNilStrategy registers, once per test binary
// (registerNilStrategy): the registry outlives a test, and -count=2 runs it again.
const nilStrategyName = "test-new-returns-nil"

var registerNilStrategy sync.Once

// strategies are the registered strategies, less the one TestNilStrategy registers: the
// ones every launch test runs against.
func strategies() []strategy.Descriptor {
	all := strategy.All()
	return slices.DeleteFunc(all, func(d strategy.Descriptor) bool { return d.Name == nilStrategyName })
}

// recorder is a strategy that counts its starts and returns what it is told to.
type recorder struct {
	starts  int
	started strategy.Started
}

func (r *recorder) Start(strategy.Spec, strategy.Files) (strategy.Started, error) {
	r.starts++
	return r.started, nil
}

// TestBadSpec: a spec that Validate refuses is refused by Launch, naming the field, and no
// strategy is asked to start anything. The empty spec is the one that, started, ran the
// caller's own main again, which launched again, without end.
func TestBadSpec(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		spec strategy.Spec
		want string
	}{
		{strategy.Spec{}, "start (no name): bad spec: no Name"},
		{strategy.Spec{Name: "web"}, "start web: bad spec: no Args nor Env for this binary"},
		{strategy.Spec{Name: "web", Args: []string{"serve"}, PIDFile: "web.pid"}, `start web: bad spec: PIDFile "web.pid" is not absolute`},
		{strategy.Spec{Name: "web", Args: []string{"serve"}, LogPath: "web.log"}, `start web: bad spec: LogPath "web.log" is not absolute`},
		{strategy.Spec{Name: "web", Args: []string{"serve"}, Dir: "."}, `start web: bad spec: Dir "." is not absolute`},
		{strategy.Spec{Name: "web", Path: "bin/web", PIDFile: filepath.Join(dir, "web.pid")}, `start web: bad spec: Path "bin/web" is not absolute`},
	} {
		r := &recorder{}
		_, err := launcher.Launch(context.Background(), r, tc.spec, nil)
		if !errors.Is(err, strategy.ErrBadSpec) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Launch(%+v) = %v, want an error with %q that wraps strategy.ErrBadSpec", tc.spec, err, tc.want)
		}
		if r.starts != 0 {
			t.Errorf("Launch(%+v): the strategy was asked to start %d times, want none", tc.spec, r.starts)
		}
	}
}

// TestNoProcess: a strategy whose Start returns neither a Process nor an error makes
// Launch return an error that says so, rather than crash.
func TestNoProcess(t *testing.T) {
	dir := t.TempDir()
	spec := strategy.Spec{Name: "web", Args: []string{"serve"}, PIDFile: filepath.Join(dir, "web.pid"), LogPath: filepath.Join(dir, "web.log")}
	_, err := launcher.Launch(context.Background(), &recorder{}, spec, nil)
	if !errors.Is(err, launcher.ErrNoProcess) || !strings.HasPrefix(err.Error(), "start web: the strategy started no process") {
		t.Errorf("Launch = %v, want an error starting %q that wraps launcher.ErrNoProcess", err, "start web: the strategy started no process")
	}
}

// lostDaemon is a strategy whose intermediate exits 0 at once, its daemon lost before it
// said a word (as a custom strategy's is when the daemon dies before it reports).
type lostDaemon struct{}

func (lostDaemon) Start(_ strategy.Spec, files strategy.Files) (strategy.Started, error) {
	cmd := exec.Command("/bin/sh", "-c", "exit 0")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = files.Stdin, files.Stdout, files.Stderr
	cmd.ExtraFiles = []*os.File{files.Ready}
	if err := cmd.Start(); err != nil {
		return strategy.Started{}, err
	}
	return strategy.Started{Process: cmd.Process, IsDaemon: false}, nil
}

// TestIntermediateStatusIsNotTheDaemons: when a strategy's intermediate exits and no
// daemon ever reported, Launch says so, rather than give the intermediate's "exit status
// 0" as the daemon's.
func TestIntermediateStatusIsNotTheDaemons(t *testing.T) {
	dir := t.TempDir()
	spec := strategy.Spec{Name: "web", Args: []string{"serve"}, PIDFile: filepath.Join(dir, "web.pid"), LogPath: filepath.Join(dir, "web.log")}
	_, err := launcher.Launch(context.Background(), lostDaemon{}, spec, nil)
	want := regexp.MustCompile(`^start web: daemon exited before it was ready: its intermediate process \(pid [0-9]+\) ended \(exit status 0\) and no daemon reported; how the daemon ended is not known$`)
	if !errors.Is(err, launcher.ErrExited) || err == nil || !want.MatchString(err.Error()) {
		t.Errorf("Launch = %v, want an error matching %s that wraps launcher.ErrExited", err, want)
	}
}
