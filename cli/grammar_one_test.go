package cli

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
)

// TestShortGrammarAnswersAsTheWhole: for command lines that name one command, misspell
// one, give a flag's value that looks like one, or ask for the version, the short grammar
// (and, for "--version" alone, no grammar at all) gives the same output, errors and exit
// code as the whole one. None of them starts anything.
func TestShortGrammarAnswersAsTheWhole(t *testing.T) {
	dir := t.TempDir()
	sd := "--state-dir=" + dir
	for _, line := range []string{
		"status " + sd,
		"status --name nope " + sd,
		"list " + sd,
		"list --json " + sd,
		"strategies",
		"version",
		"--version",
		"--version --bogus",
		"--log-level debug --version",
		"stop --version",
		"stop --bogus " + sd,
		"stpo " + sd,
		"--state-dir stop",
		"--state-dir stop status",
		"--log-level stop status " + sd,
		"delete " + sd,
		"delete --name '' " + sd,
		"logs --name nope " + sd,
		"reload --name nope " + sd,
		"stop --name nope " + sd,
		"start --strategy nope -d " + sd,
		"unit --name web " + sd,
		"",
	} {
		args := strings.Fields(strings.ReplaceAll(line, "''", "\x00"))
		for i, a := range args {
			args[i] = strings.ReplaceAll(a, "\x00", "")
		}
		short, shortOut, shortErr := runBoth(t, args, true)
		whole, wholeOut, wholeErr := runBoth(t, args, false)
		if short != whole || shortOut != wholeOut || shortErr != wholeErr {
			t.Errorf("%q: short grammar gave %d, %q, %q; the whole one %d, %q, %q",
				line, short, shortOut, shortErr, whole, wholeOut, wholeErr)
		}
	}
}

func runBoth(t *testing.T, args []string, short bool) (int, string, string) {
	t.Helper()
	defer func(was bool) { shortGrammar = was }(shortGrammar)
	shortGrammar = short
	var out, errs bytes.Buffer
	code := Run(Config{Name: "daemonkit", Version: "1.2.3-test", Serve: func(context.Context, func(string)) error { return nil }, Stdout: &out, Stderr: &errs}, args)
	return code, out.String(), errs.String()
}

// TestCommandWord: the word the short grammar is built for, and none when help is asked
// for or the word only follows "--".
func TestCommandWord(t *testing.T) {
	for _, tc := range []struct {
		line, want string
	}{
		{"status", "status"},
		{"--state-dir /x stop --name a", "stop"},
		{"start -d -- stop", "start"},
		{"start -d -- prog --help", "start"},
		{"stop --help", ""},
		{"-h status", ""},
		{"-- status", ""},
		{"completion bash", ""},
		{"man", ""},
		{"", ""},
	} {
		if got := commandWord(strings.Fields(tc.line)); got != tc.want {
			t.Errorf("commandWord(%q) = %q, want %q", tc.line, got, tc.want)
		}
	}
}

// TestTailAfterSeparator: what follows "--" reaches the command whole when runGrammar
// gives Kong only its first word (splitTail, putTail), in the short grammar and the whole
// one: the same output, errors and exit code as Kong given all of it.
func TestTailAfterSeparator(t *testing.T) {
	sd := "--state-dir=" + t.TempDir()
	for _, line := range []string{
		"unit --name web " + sd + " -- prog a --flag -- b c",
		"unit --name web " + sd + " -- -- a b",
		"unit --name web " + sd + " -- prog",
		"unit --name web " + sd + " --",
		"strategies -- a b",
		"version -- a b c",
		"status " + sd + " -- a b",
		"upgrade --timeout 0s " + sd + " -- a b",
	} {
		args := strings.Fields(line)
		for _, short := range []bool{true, false} {
			cut, cutOut, cutErr := runBoth(t, args, short)
			cutTail = false
			whole, wholeOut, wholeErr := runBoth(t, args, short)
			cutTail = true
			if cut != whole || cutOut != wholeOut || cutErr != wholeErr {
				t.Errorf("%q (short grammar %v): with the tail cut off %d, %q, %q; without %d, %q, %q",
					line, short, cut, cutOut, cutErr, whole, wholeOut, wholeErr)
			}
		}
	}
}

// TestPutTail: Kong given the command line up to the first word after "--", and putTail
// the rest, fill a passthrough argument as Kong given all of it does.
func TestPutTail(t *testing.T) {
	type grammar struct {
		Run struct {
			Flag bool     `short:"f"`
			Cmd  []string `arg:"" optional:"" passthrough:""`
		} `cmd:""`
	}
	for _, line := range []string{
		"run -- prog a --flag -- b c",
		"run -f -- prog -f",
		"run -- -- a b",
		"run -- prog",
		"run --",
		"run prog a b",
	} {
		args := strings.Fields(line)
		var whole, cut grammar
		if _, err := kong.Must(&whole).Parse(args); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		head, tail := splitTail(args)
		kctx, err := kong.Must(&cut).Parse(head)
		if err != nil || !putTail(kctx, head, tail) {
			t.Fatalf("%q: parse %q: %v; putTail %q failed", line, head, err, tail)
		}
		if !slices.Equal(cut.Run.Cmd, whole.Run.Cmd) || cut.Run.Flag != whole.Run.Flag {
			t.Errorf("%q: cut %+v, whole %+v", line, cut.Run, whole.Run)
		}
	}
}
