package cli

import (
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCheckCwd: the directory start was typed in, gone since, refuses a restart of a
// program with flags of its own (their relative paths were meant there), and is dropped
// for one without (the daemon parses daemonkit's own arguments, all absolute, where it
// runs).
func TestCheckCwd(t *testing.T) {
	gone := filepath.Join(t.TempDir(), "gone")
	withFlags := &request{Cwd: gone, Flags: json.RawMessage(`{"config":"app.yml"}`)}
	if err := withFlags.checkCwd(true, noWarning(t)); err == nil || !strings.Contains(err.Error(), "where the program's own flags are parsed again") {
		t.Errorf("checkCwd with program flags and %s gone: %v, want a refusal", gone, err)
	}
	for _, flags := range []string{"", "null", "{}"} {
		req := &request{Cwd: gone, Flags: json.RawMessage(flags)}
		if err := req.checkCwd(true, noWarning(t)); err != nil || req.Cwd != "" {
			t.Errorf("checkCwd with flags %q and %s gone: %v, Cwd %q; want nil and none", flags, gone, err, req.Cwd)
		}
	}
	here := t.TempDir()
	req := &request{Cwd: here, Flags: json.RawMessage(`{"config":"app.yml"}`)}
	if err := req.checkCwd(true, noWarning(t)); err != nil || req.Cwd != here {
		t.Errorf("checkCwd of a directory that is there: %v, Cwd %q", err, req.Cwd)
	}
	// flags that mean the same wherever they are parsed (daemonkit's own): dropped
	plain := &request{Cwd: gone, Flags: json.RawMessage(`{"Listen":"127.0.0.1:0","Heartbeat":1000000000}`)}
	if err := plain.checkCwd(false, noWarning(t)); err != nil || plain.Cwd != "" {
		t.Errorf("checkCwd with flags bound to no directory and %s gone: %v, Cwd %q; want nil and none", gone, err, plain.Cwd)
	}
}

// TestFlagsReadWhereParsed: the program's own flags need the directory start was typed in
// when Kong resolves or reads a path as it parses them, or decodes a type of the
// program's own; daemonkit's own, an address and a duration, and other plain values do
// not.
func TestFlagsReadWhereParsed(t *testing.T) {
	type server struct {
		Listen    string        `default:"127.0.0.1:0"`
		Heartbeat time.Duration `default:"1s"`
		Tags      []string
		Labels    map[string]int
		Verbose   bool
	}
	type withPath struct {
		Listen string
		Conf   string `type:"path" default:"app.conf"`
	}
	type withFile struct {
		Data []byte `type:"filecontent"`
	}
	type withOwn struct {
		Addr net.IP
	}
	for _, tc := range []struct {
		flags any
		want  bool
	}{
		{nil, false},
		{&server{}, false},
		{&withPath{}, true},
		{&withFile{}, true},
		{&withOwn{}, true},
	} {
		cfg := Config{Name: "cwd", Flags: tc.flags, Serve: func(context.Context, func(string)) error { return nil }}.withDefaults()
		if got := flagsReadWhereParsed(cfg); got != tc.want {
			t.Errorf("flagsReadWhereParsed(%T) = %v; want %v", tc.flags, got, tc.want)
		}
	}
}

// TestStartDirBound: the daemon of a program that parses its own grammar again (Init,
// then the flag package, then Run) parses it in the directory start was typed in, where
// a -config app.conf of its own means what it meant: that directory is needed whatever
// Config.Flags holds, plain values included. Main's daemon parses nothing of the
// program's: only flags Kong reads as it decodes them need it.
func TestStartDirBound(t *testing.T) {
	type plain struct{ Port int }
	type withPath struct {
		Conf string `type:"path" default:"app.conf"`
	}
	for _, tc := range []struct {
		flags any
		main  bool
		want  bool
	}{
		{&plain{}, false, true}, // Init + flag + Run: -config is parsed again there
		{nil, false, true},
		{&plain{}, true, false},
		{nil, true, false},
		{&withPath{}, true, true},
	} {
		cfg := Config{Name: "cwd", Flags: tc.flags, Serve: func(context.Context, func(string)) error { return nil }}.withDefaults()
		cfg.ownsProcess = tc.main
		if got := startDirBound(cfg); got != tc.want {
			t.Errorf("startDirBound(%T, Main %v) = %v; want %v", tc.flags, tc.main, got, tc.want)
		}
	}
}

// noWarning is a warn func that fails t if it is called.
func noWarning(t *testing.T) func(string) {
	return func(msg string) { t.Errorf("unexpected warning: %s", msg) }
}

// TestCheckCwdOwnWords: a program's own words before start (the flag package's, Kong's)
// with the directory start was typed in gone: restart goes on where the daemon runs, and
// says how a relative path among them would go wrong.
func TestCheckCwdOwnWords(t *testing.T) {
	gone := filepath.Join(t.TempDir(), "gone")
	req := &request{Cwd: gone, Args: []string{"-greeting", "hi", "start", "-d"}}
	var said []string
	if err := req.checkCwd(true, func(msg string) { said = append(said, msg) }); err != nil || req.Cwd != "" {
		t.Errorf("checkCwd: %v, Cwd %q; want nil and none", err, req.Cwd)
	}
	if len(said) != 1 || !strings.Contains(said[0], "parsed again in / instead") || !strings.Contains(said[0], "start it from a directory that stays, or give such flags absolute paths") {
		t.Errorf("checkCwd said %q; want one warning naming / and how to avoid it", said)
	}
}
