package cli

import (
	"errors"
	"io/fs"
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

// TestVisibleErrorKeeps checks that what makes an error visible keeps its exit code and
// what errors.Is finds in it, and shows an exitError's message as plainOutcome does.
func TestVisibleErrorKeeps(t *testing.T) {
	inner := &fs.PathError{Op: "open", Path: "/a\x1bb", Err: fs.ErrNotExist}
	var cfg Config
	for _, err := range []error{withCode(exitUsage, inner), inner} {
		v := visibleError(err)
		wantCode, _ := cfg.plainOutcome(err)
		code, msg := cfg.plainOutcome(v)
		if code != wantCode || msg != `open /a\x1bb: file does not exist` {
			t.Errorf("visibleError(%v): code %d, message %q; want %d and the ESC escaped", err, code, msg, wantCode)
		}
		if !errors.Is(v, fs.ErrNotExist) {
			t.Errorf("visibleError(%v) lost fs.ErrNotExist", err)
		}
	}
	if visibleError(nil) != nil {
		t.Error("visibleError(nil) is not nil")
	}
	quiet := withCode(exitFailed, nil)
	if code, msg := cfg.plainOutcome(visibleError(quiet)); code != exitFailed || msg != "" {
		t.Errorf("a quiet exit became code %d, message %q", code, msg)
	}
}
