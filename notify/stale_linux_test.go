package notify

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestRemoveStale: a notify socket whose manager is gone (the file left, nothing bound) is
// removed; a live manager's is kept, and so is every file not named as Listen names them,
// or that is not a socket.
func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	live, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()

	stale := filepath.Join(dir, socketPrefix+"0123456789abcdef01234567")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: stale, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	conn.Close() // as a killed manager leaves it: the file, and nothing bound
	other := filepath.Join(dir, "other.sock")
	if conn, err = net.ListenUnixgram("unixgram", &net.UnixAddr{Name: other, Net: "unixgram"}); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	plain := filepath.Join(dir, socketPrefix+"ffffffffffffffffffffffff")
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	older := filepath.Join(dir, socketPrefix+"89abcdef0123456789abcdef")
	if conn, err = net.ListenUnixgram("unixgram", &net.UnixAddr{Name: older, Net: "unixgram"}); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	long := time.Now().Add(-2 * youngSocket) // judged at once; the other, young, looked at twice
	if err := os.Chtimes(older, long, long); err != nil {
		t.Fatal(err)
	}
	if got := RemoveStale(dir); len(got) != 2 || !slices.Contains(got, stale) || !slices.Contains(got, older) {
		t.Fatalf("RemoveStale removed %q, want %s and %s", got, stale, older)
	}
	for _, kept := range []string{live.Path(), other, plain} {
		if _, err := os.Lstat(kept); err != nil {
			t.Errorf("%s: %v, want it kept", kept, err)
		}
	}
	if got := RemoveStale(dir); len(got) != 0 {
		t.Fatalf("a second RemoveStale removed %q", got)
	}
}
