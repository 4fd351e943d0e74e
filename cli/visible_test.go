package cli

import (
	"io/fs"
	"strings"
	"testing"
)

func TestVisible(t *testing.T) {
	for in, want := range map[string]string{
		"plain: é and 日本":            "plain: é and 日本",
		"two\nlines\tand a tab":      "two\nlines\tand a tab",
		"esc \x1b[2J cr \r nul \x00": `esc \x1b[2J cr \x0d nul \x00`,
		"del \x7f csi \u009b":        `del \x7f csi \u009b`,
		"latin-1 \xe9":               `latin-1 \xe9`,
	} {
		if got := visible(in); got != want {
			t.Errorf("visible(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestExitShowsEscaped: a command's last word, whichever way it is said (Run's, an
// embedding Kong program's Config.Exit, a foreground start's own), shows the control
// characters in it escaped, in text and in JSON, and keeps its exit code.
func TestExitShowsEscaped(t *testing.T) {
	inner := &fs.PathError{Op: "open", Path: "/a\x1bb\u009b", Err: fs.ErrNotExist}
	for _, tc := range []struct {
		format string
		err    error
		code   int
		want   string
	}{
		{"text", inner, exitFailed, "app: open /a\\x1bb\\u009b: file does not exist\n"},
		{"text", withCode(exitUsage, inner), exitUsage, "app: open /a\\x1bb\\u009b: file does not exist\n"},
		{"text", withCode(exitFailed, nil), exitFailed, ""},
		// The encoder escapes ESC itself; U+009B, which it writes raw, is escaped first.
		{"json", inner, exitFailed, `"@message":"open /a\u001bb\\u009b: file does not exist"`},
	} {
		var out strings.Builder
		cfg := Config{Name: "app", Stderr: &out}
		var code int
		if tc.format == "text" {
			code = cfg.Exit(tc.err)
		} else {
			code = cfg.exitIn(tc.format, tc.err)
		}
		if code != tc.code || !strings.Contains(out.String(), tc.want) || tc.want == "" && out.Len() > 0 {
			t.Errorf("%s of %v: exit %d, said %q; want %d and %q", tc.format, tc.err, code, out.String(), tc.code, tc.want)
		}
	}
}
