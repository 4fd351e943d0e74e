package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
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
