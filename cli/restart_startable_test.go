package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckCwd: the directory start was typed in, gone since, refuses a restart of a
// program with flags of its own (their relative paths were meant there), and is dropped
// for one without (the daemon parses daemonkit's own arguments, all absolute, where it
// runs).
func TestCheckCwd(t *testing.T) {
	gone := filepath.Join(t.TempDir(), "gone")
	withFlags := &request{Cwd: gone, Flags: json.RawMessage(`{"config":"app.yml"}`)}
	if err := withFlags.checkCwd(); err == nil || !strings.Contains(err.Error(), "where the program's own flags are parsed again") {
		t.Errorf("checkCwd with program flags and %s gone: %v, want a refusal", gone, err)
	}
	for _, flags := range []string{"", "null", "{}"} {
		req := &request{Cwd: gone, Flags: json.RawMessage(flags)}
		if err := req.checkCwd(); err != nil || req.Cwd != "" {
			t.Errorf("checkCwd with flags %q and %s gone: %v, Cwd %q; want nil and none", flags, gone, err, req.Cwd)
		}
	}
	here := t.TempDir()
	req := &request{Cwd: here, Flags: json.RawMessage(`{"config":"app.yml"}`)}
	if err := req.checkCwd(); err != nil || req.Cwd != here {
		t.Errorf("checkCwd of a directory that is there: %v, Cwd %q", err, req.Cwd)
	}
}
