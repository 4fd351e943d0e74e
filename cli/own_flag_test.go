package cli

import (
	"flag"
	"strings"
	"testing"
)

// withOwnFlags makes flag.CommandLine, for the test, a parsed set that holds names: the
// flags of a program of the flag way.
func withOwnFlags(t *testing.T, names ...string) {
	t.Helper()
	saved := flag.CommandLine
	t.Cleanup(func() { flag.CommandLine = saved })
	flag.CommandLine = flag.NewFlagSet("flagown", flag.ContinueOnError)
	for _, n := range names {
		flag.CommandLine.String(n, "", "")
	}
	if err := flag.CommandLine.Parse(nil); err != nil {
		t.Fatal(err)
	}
}

// TestOwnFlagNoteOneDashShared: a flag program's own -name, given after the command in the
// flag package's one-dash form, is most likely the program's, though daemonkit has a
// --name too: the note says it is the program's, so that the two-dash hint alone does
// not send the user to daemonkit's --name (which names the instance) instead.
func TestOwnFlagNoteOneDashShared(t *testing.T) {
	withOwnFlags(t, "name", "greeting")
	cfg := Config{Name: "flagown", viaRun: true}
	for _, args := range [][]string{{"start", "-d", "-name", "bob"}, {"start", "-d", "-name=bob"}, {"stop", "-name", "web"}} {
		note := ownFlagNote(cfg, args)
		if !strings.Contains(note, "is flagown's own flag, which it reads only before the command") || !strings.Contains(note, "(--name is daemonkit's own)") {
			t.Errorf("ownFlagNote(%q) = %q, want it to say -name is flagown's own, and --name daemonkit's", args, note)
		}
	}
	// with two dashes, or one letter, it is daemonkit's; a flag that is not the program's
	// has no note
	for _, args := range [][]string{{"start", "-d", "--name", "bob"}, {"stop", "-n", "web"}, {"stop", "-log-level", "debug"}} {
		if note := ownFlagNote(cfg, args); note != "" {
			t.Errorf("ownFlagNote(%q) = %q, want none", args, note)
		}
	}
}
