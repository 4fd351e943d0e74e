package cli_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/cli"
	"github.com/daemonkit/daemonkit/internal/scripttest"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestStatusGoRunBinaryGone: a daemon started by go run runs go run's temporary build,
// which go removes when that go run ends; status says so, not only that some path was
// removed or replaced, and that restart runs it on this binary.
func TestStatusGoRunBinaryGone(t *testing.T) {
	copied := testutil.CopySelf(t, "embedded")
	exeDir := filepath.Join(filepath.Dir(copied), "go-build2358150023", "b001", "exe")
	if err := os.MkdirAll(exeDir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(exeDir, "embedded") // where go run puts the program it built
	if err := os.Rename(copied, bin); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	t.Cleanup(func() { scripttest.KillDaemonsUnder(t.Log, state) })
	cmd := exec.Command(bin, "--state-dir", state, "--log-dir", state, "start", "-d", "--name", "g")
	cmd.Env = testutil.Environ("CLI_TEST_PROGRAM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("start -d: %v\n%s", err, out)
	}
	if err := os.Remove(bin); err != nil { // as go run does once the program exits
		t.Fatal(err)
	}
	var out bytes.Buffer
	cfg := embedded
	cfg.Stdout = &out
	if code := cli.Run(cfg, []string{"--state-dir", state, "status", "g"}); code != 0 {
		t.Fatalf("status: exit %d\n%s", code, out.String())
	}
	want := "  build:   dev; it runs a binary that go run built, " + bin + ", removed since (go run removes its temporary build when it ends, and go's build cache its old copies); 'embedded restart --state-dir " + state + " --name g' runs it on this binary\n"
	if !strings.Contains(out.String(), want) {
		t.Errorf("status of a daemon whose go run build is gone:\n%s\nwant the line\n%s", out.String(), want)
	}
	out.Reset()
	if code := cli.Run(cfg, []string{"--state-dir", state, "status", "--json", "g"}); code != 0 || !strings.Contains(out.String(), `"binary_go_run": true`) {
		t.Errorf("status --json: exit %d\n%s\nwant binary_go_run", code, out.String())
	}
	if code := cli.Run(cfg, []string{"--state-dir", state, "stop", "g"}); code != 0 {
		t.Errorf("stop: exit %d", code)
	}
}
