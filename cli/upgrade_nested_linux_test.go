package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUpgradeNameAdviceNested: 'app daemon upgrade web', web being an instance's name, is
// refused with the lines that upgrade it, which keep the program's command (daemon) and
// the state directory, so that they run as pasted.
func TestUpgradeNameAdviceNested(t *testing.T) {
	state := t.TempDir()
	if err := os.WriteFile(filepath.Join(state, "web.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, err := runNested(t, embedded, "daemon", "upgrade", "--state-dir", state, "web")
	want := "'embedded daemon upgrade --state-dir " + state + " --name web' upgrades it with the command it runs"
	if code != 2 || err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "'embedded daemon upgrade --state-dir "+state+" --name web -- NEWCMD [ARGS...]' with another") {
		t.Errorf("app daemon upgrade web: exit %d, %v; want exit 2 and %q", code, err, want)
	}
}
