package logfile

import (
	"os"
	"path/filepath"
	"testing"
)

// A log open for writing is in use until its last writer closes it; two writers share it
// (an upgrade's copies, a reopen's new descriptor beside the old); the null device is
// never in use.
func TestInUseWhileWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.log")
	if InUse(path) {
		t.Fatal("InUse of a missing log: true")
	}
	first, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if !InUse(path) {
		t.Error("InUse of a log two writers hold: false")
	}
	first.Close()
	if !InUse(path) {
		t.Error("InUse of a log its second writer holds: false")
	}
	second.Close()
	if InUse(path) {
		t.Error("InUse of a log nobody writes: true")
	}
	null, err := Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if InUse(os.DevNull) {
		t.Error("InUse of /dev/null: true")
	}
}
