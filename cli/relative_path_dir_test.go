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
		{"app", "bin:" + filepath.Join(cwd, "bin"), ""}, // from /, the work's exec passes bin by, and finds the same file
		{"app", "bin:" + abs, "where the work runs, /, it names another directory): the work would run " + filepath.Join(abs, "app") + " instead: "},
		{"app", "bin:" + abs, `program "app": PATH finds it here as ./bin/app, through its relative directory "bin", `},
		{"here", "/nonexistent::" + abs, `program "here": PATH finds it here as ./here, through an empty entry (the current directory), `},
		{"here", ".", `give its path, ./here, or an absolute directory in PATH`},
		{"app", abs + ":bin", ""},       // the absolute directory comes first: the work finds it there too
		{"nothing", "bin:" + abs, ""},   // not found at all: the daemon says so, as before
		{"data", "bin:/usr/bin", ""},    // not executable: not what the shell would run
		{"./bin/app", "bin:" + abs, ""}, // a path, made absolute elsewhere
		{"bin/app", "", ""},
	} {
		err := foundRelative([]string{tc.cmd, "arg"}, tc.path, cwd, "/")
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("foundRelative(%q, PATH=%q) = %v; want nil", tc.cmd, tc.path, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("foundRelative(%q, PATH=%q) = %v; want an error with %q", tc.cmd, tc.path, err, tc.want)
		}
	}
}

// TestFoundRelativeWorkHere: where the work runs in the directory start is typed in
// (nohup, --workdir .), the relative entry finds the program there too, and Go's exec
// refuses it, even where a later absolute entry has the same file: refused, saying so,
// not that the entry names another directory.
func TestFoundRelativeWorkHere(t *testing.T) {
	cwd := t.TempDir()
	prog := filepath.Join(cwd, "bin", "app")
	if err := os.MkdirAll(filepath.Dir(prog), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prog, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"bin", "bin:" + filepath.Dir(prog)} {
		err := foundRelative([]string{"app"}, path, cwd, cwd)
		if err == nil || !strings.Contains(err.Error(), "the work runs here too, and Go runs no program found relative to its directory") || strings.Contains(err.Error(), "another directory") {
			t.Errorf("foundRelative(PATH=%q) from and to %s = %v; want a refusal that says the work runs here too", path, cwd, err)
		}
	}
}
