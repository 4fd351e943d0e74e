package cli

import (
	"slices"
	"testing"
)

// TestUnitArgsOwnShorts: a program's own short root flags after "unit" reach ExecReload
// (ownAfter) however Kong takes them: alone, with the value attached, or in a cluster;
// a cluster with a letter of daemonkit's is not the program's.
func TestUnitArgsOwnShorts(t *testing.T) {
	root := map[string]bool{"-g": true, "--greeting": true, "-v": false, "-q": false}
	for _, tc := range []struct {
		args, ownAfter []string
	}{
		{[]string{"-ghi"}, []string{"-ghi"}},
		{[]string{"-g", "hi"}, []string{"-g", "hi"}},
		{[]string{"-g=hi"}, []string{"-g=hi"}},
		{[]string{"-vghi"}, []string{"-vghi"}},
		{[]string{"-vg", "hi"}, []string{"-vg", "hi"}},
		{[]string{"-vq"}, []string{"-vq"}},
		{[]string{"-vn", "web"}, nil},
		{[]string{"-n", "web"}, nil},
	} {
		args := append([]string{"unit"}, tc.args...)
		_, out, ownAfter, err := unitArgs(args, 0, nil, "web", false, root)
		if err != nil {
			t.Fatalf("unitArgs(%q): %v", args, err)
		}
		if !slices.Equal(ownAfter, tc.ownAfter) {
			t.Errorf("unitArgs(%q): ownAfter %q, want %q", args, ownAfter, tc.ownAfter)
		}
		if !slices.Equal(out[:len(tc.args)], tc.args) {
			t.Errorf("unitArgs(%q): ExecStart's %q, want it to begin %q", args, out, tc.args)
		}
	}
}

// TestUnitArgsOwnValueUnit: a value of one of the program's own root flags given before
// the command word is the flag's, even when it is the word "unit": the command is the
// "unit" after it (ExecStart ran "unit" as the command, the greeting "start").
func TestUnitArgsOwnValueUnit(t *testing.T) {
	root := map[string]bool{"-g": true, "--greeting": true, "-v": false}
	for _, before := range [][]string{{"-g", "unit"}, {"--greeting", "unit"}, {"-vg", "unit"}} {
		args := append(append(slices.Clone(before), "unit", "--name", "k"), "--", "/bin/true")
		own, out, _, err := unitArgs(args, 0, []string{"/bin/true"}, "k", false, root)
		if err != nil {
			t.Fatalf("unitArgs(%q): %v", args, err)
		}
		if !slices.Equal(own, before) || !slices.Equal(out, []string{"--name", "k", "--", "/bin/true"}) {
			t.Errorf("unitArgs(%q): the program's %q and start's %q; want %q and [--name k -- /bin/true]", args, own, out, before)
		}
	}
}

// TestUnitArgsProgramWithoutSeparator: a program typed without -- is the command line's
// last words; ExecStart gives it once, after --, not also as start's arguments.
func TestUnitArgsProgramWithoutSeparator(t *testing.T) {
	args := []string{"unit", "--name", "u", "/bin/echo", "hi"}
	_, out, _, err := unitArgs(args, 2, []string{"/bin/echo", "hi"}, "u", false, nil)
	if err != nil {
		t.Fatalf("unitArgs(%q): %v", args, err)
	}
	if want := []string{"--name", "u", "--", "/bin/echo", "hi"}; !slices.Equal(out, want) {
		t.Errorf("unitArgs(%q): ExecStart's %q, want %q", args, out, want)
	}
}
