package openfiles

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckLimit: a limit above fs.nr_open is refused naming it, one at it is not, and an
// unreadable fs.nr_open refuses nothing.
func TestCheckLimit(t *testing.T) {
	old := nrOpenPath
	t.Cleanup(func() { nrOpenPath = old })
	nrOpenPath = filepath.Join(t.TempDir(), "nr_open")
	if err := os.WriteFile(nrOpenPath, []byte("1048576\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckLimit(1048576); err != nil {
		t.Errorf("CheckLimit(1048576) = %v; want nil", err)
	}
	err := CheckLimit(2000000)
	if err == nil || err.Error() != "above fs.nr_open (1048576), the most open files any process may have, root's too: give at most 1048576, or raise fs.nr_open (sysctl -w fs.nr_open=2000000)" {
		t.Errorf("CheckLimit(2000000) = %v; want it above fs.nr_open (1048576), which may be raised", err)
	}
	// past what fs.nr_open may be raised to, raising it is no advice
	err = CheckLimit(99999999999)
	if err == nil || !strings.HasPrefix(err.Error(), "above fs.nr_open (1048576)") || strings.Contains(err.Error(), "sysctl") {
		t.Errorf("CheckLimit(99999999999) = %v; want it above fs.nr_open (1048576), and no sysctl", err)
	}
	nrOpenPath = filepath.Join(t.TempDir(), "missing")
	if err := CheckLimit(99999999999); err != nil {
		t.Errorf("CheckLimit with no fs.nr_open = %v; want nil", err)
	}
}

// TestCeilingReal: this system's fs.nr_open is read.
func TestCeilingReal(t *testing.T) {
	if _, err := os.Stat(nrOpenPath); err != nil {
		t.Skip("no /proc/sys/fs/nr_open")
	}
	if n, ok := Ceiling(); !ok || n == 0 {
		t.Errorf("Ceiling() = %d, %v; want fs.nr_open", n, ok)
	}
}
