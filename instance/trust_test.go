package instance

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckDir(t *testing.T) {
	base := t.TempDir()
	own := filepath.Join(base, "own")
	mustMkdir(t, own, 0o755)
	if err := CheckDir(own); err != nil {
		t.Errorf("own 0755 directory: %v", err)
	}
	if err := CheckDir(filepath.Join(own, "missing", "deeper")); err != nil {
		t.Errorf("missing directory under an own one: %v", err)
	}
	sticky := filepath.Join(base, "sticky")
	mustMkdir(t, sticky, 0o777|os.ModeSticky)
	if err := CheckDir(sticky); err != nil {
		t.Errorf("sticky world-writable directory (like /tmp): %v", err)
	}

	open := filepath.Join(base, "open")
	mustMkdir(t, open, 0o775)
	if err := CheckDir(filepath.Join(open, "state")); !errors.Is(err, ErrUnsafeDir) {
		t.Errorf("under a group-writable directory: %v, want ErrUnsafeDir", err)
	}
	if os.Geteuid() != 0 {
		t.Skip("the other-owner case needs root to chown")
	}
	other := filepath.Join(base, "other")
	mustMkdir(t, other, 0o755)
	if err := os.Chown(other, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	err := CheckDir(other)
	if !errors.Is(err, ErrUnsafeDir) {
		t.Fatalf("directory owned by nobody: %v, want ErrUnsafeDir", err)
	}
	t.Log(err)
}

func mustMkdir(t *testing.T, dir string, mode os.FileMode) {
	t.Helper()
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
}

func TestReadRecordTrust(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.json")
	if err := WriteRecord(path, Record{Name: "x", PID: 42}); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadRecord(path); err != nil {
		t.Fatalf("own record: %v", err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadRecord(path); !errors.Is(err, ErrUntrusted) {
		t.Errorf("world-writable record: %v, want ErrUntrusted", err)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadRecord(link); !errors.Is(err, ErrUntrusted) {
		t.Errorf("symlinked record: %v, want ErrUntrusted", err)
	}
	if os.Geteuid() != 0 {
		return
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadRecord(path); !errors.Is(err, ErrUntrusted) {
		t.Errorf("record owned by nobody: %v, want ErrUntrusted", err)
	}
}

// TestWriteRecordRefusesForeignFile: a file at a record's path that is not a record (a
// configuration file a careless --pidfile led to) is never replaced.
func TestWriteRecordRefusesForeignFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "passwd.json")
	orig := []byte("root:x:0:0:root:/root:/bin/bash\n")
	if err := os.WriteFile(path, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteRecord(path, Record{Name: "passwd", PID: 42})
	if err == nil || !strings.Contains(err.Error(), "which is not a record: refusing to replace it") {
		t.Fatalf("WriteRecord over a foreign file = %v, want a refusal", err)
	}
	if b, _ := os.ReadFile(path); string(b) != string(orig) {
		t.Fatalf("the foreign file changed: %q", b)
	}
	if err := RemoveRecord(path, 42); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != string(orig) {
		t.Fatalf("RemoveRecord removed or changed a foreign file: %q", b)
	}
}
