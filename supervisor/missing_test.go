package supervisor

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestMissingProgram: only what is surely not there is an error; what may yet run (a file
// there, whatever its modes, a relative PATH entry) is left to the start, which says why.
func TestMissingProgram(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "prog")
	if err := os.WriteFile(prog, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path string
		missing    bool
	}{
		{prog, "", false},                      // there, though not executable: exec says why
		{filepath.Join(dir, "nope"), "", true}, // a path naming nothing
		{filepath.Join(prog, "x"), "", true},   // a file on the way
		{"prog", dir, false},
		{"prog", "/nonexistent:" + dir, false},
		{"nope", "/nonexistent:" + dir, true},
		{"nope", "", true},         // no PATH: nothing found
		{"nope", "bin", false},     // relative: where it is looked up from cannot be told
		{"nope", dir + ":", false}, // an empty entry is the working directory
	} {
		err := MissingProgram(c.name, c.path)
		if (err != nil) != c.missing {
			t.Errorf("MissingProgram(%q, %q) = %v, want missing %v", c.name, c.path, err, c.missing)
		}
		if ee := (*exec.Error)(nil); err != nil && !errors.As(err, &ee) {
			t.Errorf("MissingProgram(%q, %q) = %v, want an *exec.Error, as exec.LookPath's", c.name, c.path, err)
		}
	}
}
