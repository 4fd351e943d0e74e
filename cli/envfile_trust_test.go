package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEnvFileTrust: an env file another user owns, or may write, is refused, by its owner or
// its mode and the fix; one of root's, of this user's or of the work's user is read.
func TestEnvFileTrust(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("giving a file to another user needs root")
	}
	const other, work = 54321, 54322
	dir := t.TempDir()
	me := workIdentity{uid: 0, gid: 0}
	asWork := workIdentity{uid: work, gid: work, user: "svc"}
	for _, tc := range []struct {
		name     string
		uid, gid int
		mode     os.FileMode
		work     workIdentity
		want     string // "" reads it
	}{
		{"root's", 0, 0, 0o640, me, ""},
		{"another user's", other, other, 0o644, me, "owned by uid 54321, another user than the one the work runs as"},
		{"the work user's", work, work, 0o600, asWork, ""},
		{"another user's, for --user", other, other, 0o644, asWork, "give the file to root or to svc (chown)"},
		{"everyone's to write", 0, 0, 0o666, me, "writable by every user (mode 0666)"},
		{"a group's to write", 0, other, 0o660, me, "writable by group gid 54321 (mode 0660), not the work's"},
		{"root's group's to write", 0, 0, 0o660, me, ""},
		{"the work's group's to write", work, work, 0o660, asWork, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".env")
			if err := os.WriteFile(path, []byte("A=1\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(path, tc.uid, tc.gid); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			kvs, _, err := readEnvFile(path, tc.work)
			switch {
			case tc.want == "" && (err != nil || len(kvs) != 1):
				t.Errorf("readEnvFile = %q, %v; want A=1 read", kvs, err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("readEnvFile = %q, %v; want an error saying %q", kvs, err, tc.want)
			}
		})
	}
}

// TestEnvFileTrustGroup: with --group, the work's group is that one, not the user's
// primary group: a file its members may write is theirs to write.
func TestEnvFileTrustGroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("giving a file to a group needs root")
	}
	path := filepath.Join(t.TempDir(), "app.env")
	if err := os.WriteFile(path, []byte("A=1\n"), 0o660); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 0, 1); err != nil { // root:daemon
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o660); err != nil {
		t.Fatal(err)
	}
	if _, err := (ProcessFlags{User: "nobody", Group: "1", EnvFile: []string{path}}).environ(); err != nil {
		t.Errorf("--user nobody --group 1: %v; want the file of the work's group read", err)
	}
	_, err := (ProcessFlags{User: "nobody", EnvFile: []string{path}}).environ()
	if err == nil || !strings.Contains(err.Error(), "writable by group") {
		t.Errorf("--user nobody: %v; want the file refused: its group is not the work's", err)
	}
}
