package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestDeployDocUnit runs the `daemonkit unit` command of docs/deploy.md as written and
// checks that it prints the unit the page shows, line for line (the page's daemonkit is
// /usr/local/bin/daemonkit), so that the page says what a reader gets.
func TestDeployDocUnit(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the page shows root's unit, whose state is /run/daemonkit")
	}
	doc, err := os.ReadFile("docs/deploy.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```sh\n(daemonkit unit .*?) > /etc/systemd/system/web.service\n").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/deploy.md: no `daemonkit unit ... > /etc/systemd/system/web.service` in a sh block")
	}
	args := strings.Fields(strings.ReplaceAll(string(m[1]), "\\\n", " "))[1:]
	want := regexp.MustCompile("(?s)```ini\n(.*?)```").FindSubmatch(doc)
	if want == nil {
		t.Fatal("docs/deploy.md: no ini block")
	}

	if testing.Short() {
		t.Skip("builds daemonkit")
	}
	exe := filepath.Join(t.TempDir(), "daemonkit")
	if out, err := exec.Command("go", "build", "-o", exe, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = testutil.Environ("DAEMONKIT_STATE_DIR=", "DAEMONKIT_LOG_DIR=", "DAEMONKIT_STRATEGY=", "DAEMONKIT_LOG_LEVEL=")
	var errOut strings.Builder
	cmd.Stderr = &errOut
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("daemonkit %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	got := strings.ReplaceAll(string(out), exe, "/usr/local/bin/daemonkit")
	if got != string(want[1]) {
		t.Errorf("docs/deploy.md shows a unit that `daemonkit %s` does not print; it prints\n%s", strings.Join(args, " "), got)
	}
}
