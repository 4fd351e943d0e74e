package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFoundRelative: a bare program name that PATH finds first through a relative
// directory, against the directory start is typed in, is refused, naming the path to give
// instead; one found first through an absolute directory, one not found, and a path are
// not its concern.
func TestFoundRelative(t *testing.T) {
	cwd := t.TempDir()
	abs := t.TempDir()
	for _, p := range []string{filepath.Join(cwd, "bin", "app"), filepath.Join(cwd, "here"), filepath.Join(abs, "app"), filepath.Join(cwd, "bin", "data")} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o755)
		if filepath.Base(p) == "data" {
			mode = 0o644 // not executable: the shell passes it by
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		cmd, path, want string
	}{
		{"app", "bin:" + abs, `program "app": PATH finds it here as ./bin/app, through its relative directory "bin", `},
		{"here", "/nonexistent::" + abs, `program "here": PATH finds it here as ./here, through an empty entry (the current directory), `},
		{"here", ".", `give its path, ./here, or an absolute directory in PATH`},
		{"app", abs + ":bin", ""},       // the absolute directory comes first: the work finds it there too
		{"nothing", "bin:" + abs, ""},   // not found at all: the daemon says so, as before
		{"data", "bin:/usr/bin", ""},    // not executable: not what the shell would run
		{"./bin/app", "bin:" + abs, ""}, // a path, made absolute elsewhere
		{"bin/app", "", ""},
	} {
		err := foundRelative([]string{tc.cmd, "arg"}, tc.path, cwd)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("foundRelative(%q, PATH=%q) = %v; want nil", tc.cmd, tc.path, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("foundRelative(%q, PATH=%q) = %v; want an error with %q", tc.cmd, tc.path, err, tc.want)
		}
	}
}
