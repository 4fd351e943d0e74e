package main

import (
	"bytes"
	"os"
	"testing"

	"github.com/daemonkit/daemonkit/cli"
)

// manPage is the man page in the repository, made from the grammar by `daemonkit man`.
const manPage = "docs/daemonkit.1"

// TestManPageUpToDate fails when the grammar changed and docs/daemonkit.1 was not made
// again: UPDATE_MAN=1 go test -run TestManPageUpToDate . writes it.
func TestManPageUpToDate(t *testing.T) {
	var out bytes.Buffer
	cfg := config()
	cfg.Stdout = &out
	if code := cli.Run(cfg, []string{"man"}); code != 0 {
		t.Fatalf("man: exit %d", code)
	}
	if os.Getenv("UPDATE_MAN") != "" {
		if err := os.WriteFile(manPage, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(manPage)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("%s is not what `daemonkit man` prints now: UPDATE_MAN=1 go test -run TestManPageUpToDate . makes it again", manPage)
	}
	for _, section := range []string{".SH NAME", ".SH SYNOPSIS", ".SH COMMANDS", ".SS start", ".SS stop", ".SH EXIT STATUS"} {
		if !bytes.Contains(want, []byte(section)) {
			t.Errorf("%s lacks %s", manPage, section)
		}
	}
	_, exits, _ := bytes.Cut(want, []byte(".SH EXIT STATUS"))
	for _, command := range []string{"start", "stop", "status", "restart", "reload", "reopen", "upgrade", "delete", "logs", "list"} {
		if !bytes.Contains(exits, []byte(command+":")) && !bytes.Contains(exits, []byte(command+",")) {
			t.Errorf("%s: EXIT STATUS says nothing of %s", manPage, command)
		}
	}
	// The built-in work exits 0 after a graceful stop in the foreground (not 128+N, which
	// is a supervised program's status when the signal ends it).
	if !bytes.Contains(exits, []byte(`built\-in work's 0`)) {
		t.Errorf("%s: EXIT STATUS does not say the built-in work exits 0 after a graceful stop", manPage)
	}
}
