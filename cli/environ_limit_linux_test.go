package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestEnvironVariableTooLong: a variable no exec can pass (over MAX_ARG_STRLEN) is refused
// naming where it came from (an env file and its line, --env, the inherited environment),
// its name and its size, never its value; an inherited one that --env replaces is no error.
func TestEnvironVariableTooLong(t *testing.T) {
	value := strings.Repeat("v", 32*os.Getpagesize())
	size := strconv.Itoa(len("BIG=") + len(value) + 1)
	file := filepath.Join(t.TempDir(), "big.env")
	if err := os.WriteFile(file, []byte("# big\nBIG="+value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		f    ProcessFlags
		want string
	}{
		{"env file", ProcessFlags{EnvFile: []string{file}}, "env file " + file + ":2: variable BIG takes " + size + " bytes with its NUL"},
		{"--env", ProcessFlags{Env: words{"BIG=" + value}}, "--env: variable BIG takes " + size + " bytes with its NUL"},
		{"inherited", ProcessFlags{Inherited: words{"A=1", "BIG=" + value}}, "the environment the work inherits: variable BIG takes " + size + " bytes with its NUL"},
	} {
		_, err := tc.f.environ()
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: environ: %.300v; want %q", tc.name, err, tc.want)
		} else if strings.Contains(err.Error(), "vvv") {
			t.Errorf("%s: environ's error quotes the value", tc.name)
		}
	}
	f := ProcessFlags{Inherited: words{"BIG=" + value}, Env: words{"BIG=small"}}
	if env, err := f.environ(); err != nil || len(env) != 1 || env[0] != "BIG=small" {
		t.Errorf("environ with the long variable replaced by --env: %.200q, %v", env, err)
	}
}
