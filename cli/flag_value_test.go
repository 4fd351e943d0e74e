package cli

import (
	"strings"
	"testing"
)

// TestLastFlagValue: the last value given a flag, in either form, before the "--" that
// ends the flags; a flag the args end on, or a "--" follows, has none, and the "--"
// still ends the flags.
func TestLastFlagValue(t *testing.T) {
	for _, tc := range []struct {
		line, value string
		ok          bool
	}{
		{"--state-dir /a stop", "/a", true},
		{"--state-dir=/a stop --state-dir /b", "/b", true},
		{"stop --state-dir /b --state-dir=/c", "/c", true},
		{"stop --state-dir=", "", true},
		{"stop --state-dir", "", true},
		{"stop --state-dir -- --state-dir /x", "", true},
		{"stop -- --state-dir /x", "", false},
		{"--log-dir /a --state-dirs /b stop", "", false},
	} {
		v, ok := lastFlagValue(strings.Fields(tc.line), "--state-dir")
		if v != tc.value || ok != tc.ok {
			t.Errorf("%q: %q, %v; want %q, %v", tc.line, v, ok, tc.value, tc.ok)
		}
	}
}

// TestSkipGlobal: a global flag is stepped past with its value, in either form, and
// never past a "--".
func TestSkipGlobal(t *testing.T) {
	for _, tc := range []struct {
		line string
		skip bool
		next string // the argument after the one skipped
	}{
		{"--state-dir /a stop", true, "stop"},
		{"--log-level=debug stop", true, "stop"},
		{"--log-dir -- prog", true, "--"},
		{"--name web", false, "web"},
	} {
		args := strings.Fields(tc.line)
		i := 0
		skip := skipGlobal(args, &i)
		if i++; skip != tc.skip || i >= len(args) || args[i] != tc.next {
			t.Errorf("%q: skipped %v, then at %d; want %v, then at %q", tc.line, skip, i, tc.skip, tc.next)
		}
	}
}
