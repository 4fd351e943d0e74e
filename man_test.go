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
}
