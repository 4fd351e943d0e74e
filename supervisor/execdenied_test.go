package supervisor

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestDeniedWhy: what the modes refuse a user, naming the first directory on the way it
// may not enter, a file it may not execute, and a directory given as the program; nothing
// when the modes allow it. CannotExec says the same of another user, CannotRead what keeps
// a user from reading a file, and CannotCreateIn from making one in a directory.
func TestDeniedWhy(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make files another user may not reach")
	}
	base := testutil.ReachableTempDir(t)
	mk := func(rel string, mode os.FileMode) string {
		path := filepath.Join(base, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
		return path
	}
	private, open, plain := mk("private/deep/prog", 0o755), mk("open/prog", 0o755), mk("open/plain", 0o644)
	for _, d := range []string{filepath.Join(base, "private"), filepath.Join(base, "private/deep")} {
		if err := os.Chmod(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	nobody := &syscall.Credential{Uid: 65534, Gid: 65534}
	for _, tc := range []struct {
		path string
		cred *syscall.Credential
		want string
	}{
		{private, nobody, "uid 65534 may not enter " + filepath.Join(base, "private") + " (mode 0700, owner uid 0)"},
		{private, nil, ""}, // root enters anything
		{open, nobody, ""},
		{plain, nobody, "uid 65534 may not execute it (mode 0644, owner uid 0)"},
		{plain, nil, "uid 0 may not execute it (mode 0644, owner uid 0)"}, // not even root: no x bit at all
		{filepath.Join(base, "open"), nobody, "it is not a regular file"},
	} {
		if got := deniedWhy(tc.path, tc.cred); got != tc.want {
			t.Errorf("deniedWhy(%s, %v) = %q, want %q", tc.path, tc.cred, got, tc.want)
		}
		if got := CannotExec(tc.path, tc.cred); tc.cred != nil && got != tc.want || tc.cred == nil && got != "" {
			t.Errorf("CannotExec(%s, %v) = %q, want %q (nothing for no cred)", tc.path, tc.cred, got, tc.want)
		}
	}
	secret := mk("open/secret", 0o600)
	for _, tc := range []struct {
		path string
		cred *syscall.Credential
		want string
	}{
		{private, nobody, "uid 65534 may not enter " + filepath.Join(base, "private") + " (mode 0700, owner uid 0)"},
		{secret, nobody, "uid 65534 may not read it (mode 0600, owner uid 0)"},
		{plain, nobody, ""},
		{secret, &syscall.Credential{}, ""}, // root reads anything
		{secret, nil, ""},
		{filepath.Join(base, "open/absent"), nobody, ""}, // the reader says it is missing
	} {
		if got := CannotRead(tc.path, tc.cred); got != tc.want {
			t.Errorf("CannotRead(%s, %v) = %q, want %q", tc.path, tc.cred, got, tc.want)
		}
	}
	openDir := filepath.Join(base, "open")
	for _, tc := range []struct {
		dir  string
		cred *syscall.Credential
		want string
	}{
		{filepath.Join(base, "private/deep"), nobody, "uid 65534 may not enter " + filepath.Join(base, "private") + " (mode 0700, owner uid 0)"},
		{openDir, nobody, "uid 65534 may not write in " + openDir + " (mode 0755, owner uid 0)"},
		{openDir, &syscall.Credential{}, ""},
		{openDir, nil, ""},
		{filepath.Join(base, "open/later"), nobody, ""}, // made later (RuntimeDirectory=)
	} {
		if got := CannotCreateIn(tc.dir, tc.cred); got != tc.want {
			t.Errorf("CannotCreateIn(%s, %v) = %q, want %q", tc.dir, tc.cred, got, tc.want)
		}
	}
}
