package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestUnreadableRecordAdviceUnsearchableDir: a record that cannot be read because this
// user may not look in its directory (a state directory made 0000, or 0700 and another
// user's) is not damaged, and the advice must not say to remove it (logs, reopen, status
// and restart said "it is damaged ...: remove it (rm ...)", which would throw away a
// sound record). Root looks in any directory: as root, the test runs again as nobody.
func TestUnreadableRecordAdviceUnsearchableDir(t *testing.T) {
	if os.Geteuid() == 0 {
		bin := testutil.CopySelf(t, "cli.test")
		cmd := exec.Command(bin, "-test.run=^TestUnreadableRecordAdviceUnsearchableDir$", "-test.v", "-test.count=1")
		cmd.Dir = "/"
		cmd.Env = append(os.Environ(), "TMPDIR=/tmp")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestUnreadableRecordAdviceUnsearchableDir") {
			t.Fatalf("as nobody: %v\n%s", err, out)
		}
		return
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "web.json")
	if err := os.WriteFile(path, []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	advice := unreadableRecordAdvice(instance.Paths{Name: "web", PIDFile: filepath.Join(dir, "web.pid"), Record: path})
	if strings.Contains(advice, "damaged") || strings.Contains(advice, "rm ") || !strings.Contains(advice, dir) {
		t.Errorf("advice for a record in a directory this user may not look in = %q; want it to name the directory, and not call the record damaged", advice)
	}
}
