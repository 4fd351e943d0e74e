package cli

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestTakeRequest: the request comes from the environment, which it then leaves; an older
// daemonkit's request as the one argument is still taken; anything else is refused with
// how a daemon is meant to be started.
func TestTakeRequest(t *testing.T) {
	const fromEnv, fromArg = `{"name":"env"}`, `{"name":"arg"}`
	tests := []struct {
		name     string
		env      *string
		args     []string
		wantName string
		wantErr  string
	}{
		{"environment", ptr(fromEnv), []string{"web"}, "env", ""},
		{"environment over an argument", ptr(fromEnv), []string{fromArg}, "env", ""},
		{"argument of an older daemonkit", nil, []string{fromArg}, "arg", ""},
		{"by hand", nil, []string{"web"}, "", "_daemon: no request in $DAEMONKIT_REQUEST: started by hand? use start -d"},
		{"by hand, no argument", nil, nil, "", "no request in $DAEMONKIT_REQUEST"},
		{"bad request", ptr("{"), []string{"web"}, "", "_daemon: bad request in $DAEMONKIT_REQUEST: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(requestEnv, "") // restored when the test ends
			if tt.env != nil {
				os.Setenv(requestEnv, *tt.env)
			} else {
				os.Unsetenv(requestEnv)
			}
			req, err := takeRequest(daemonCommand, tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || req.Name != tt.wantName {
				t.Fatalf("takeRequest = %+v, %v; want name %q", req, err, tt.wantName)
			}
			if v, ok := os.LookupEnv(requestEnv); ok {
				t.Errorf("$%s = %q after takeRequest: a child would inherit it", requestEnv, v)
			}
		})
	}
}

func ptr(s string) *string { return &s }

// TestWithEnv: the variable replaces any the environment had, and nothing else changes.
func TestWithEnv(t *testing.T) {
	env := []string{"A=1", requestEnv + "=old", "B=2", requestEnv + "X=kept"}
	got := withEnv(env, requestEnv, `{"name":"new"}`)
	want := []string{"A=1", "B=2", requestEnv + "X=kept", requestEnv + `={"name":"new"}`}
	if !slices.Equal(got, want) {
		t.Errorf("withEnv = %q, want %q", got, want)
	}
	if env[1] != requestEnv+"=old" {
		t.Errorf("withEnv changed its argument: %q", env)
	}
}

// TestRequestInChunks: a request longer than one variable may carry travels in several,
// cut at requestChunk bytes; takeRequest puts it together again and takes every one out of
// the environment; stale continuations in the caller's environment are dropped.
func TestRequestInChunks(t *testing.T) {
	for _, size := range []int{10, requestChunk, requestChunk + 1, 3*requestChunk + 7} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			raw := `{"name":"` + strings.Repeat("x", size) + `"}`
			env := withRequest([]string{"A=1", requestEnv + "_7=stale", requestEnv + "=old"}, raw)
			wantVars := (len(raw) + requestChunk - 1) / requestChunk
			var vars int
			for _, kv := range env {
				k, v, _ := strings.Cut(kv, "=")
				if k == "A" {
					continue
				}
				if !strings.HasPrefix(k, requestEnv) || len(v) > requestChunk {
					t.Fatalf("withRequest left %.40q... (%d bytes)", kv, len(v))
				}
				vars++
				t.Setenv(k, v) // restored when the test ends
			}
			if vars != wantVars {
				t.Fatalf("the request of %d bytes travels in %d variables, want %d", len(raw), vars, wantVars)
			}
			req, err := takeRequest(daemonCommand, nil)
			if err != nil || req.Name != strings.Repeat("x", size) {
				t.Fatalf("takeRequest = name of %d bytes, %v; want %d bytes", len(req.Name), err, size)
			}
			for _, kv := range os.Environ() {
				if strings.HasPrefix(kv, requestEnv) {
					t.Errorf("%.40q... left in the environment after takeRequest: a child would inherit it", kv)
				}
			}
		})
	}
}

// TestUnderneath: what the record keeps is the work's environment with what start set on
// top taken back off: a value the inherited environment had comes back, a key it had not
// goes.
func TestUnderneath(t *testing.T) {
	env := []string{"A=1", "K1=file", "PWD=/", "USER=nobody", "Z=9"}
	base := []string{"K1", "PWD=/home/me", "USER=root"}
	got := underneath(slices.Clone(env), base)
	want := []string{"A=1", "Z=9", "PWD=/home/me", "USER=root"}
	if !slices.Equal(got, want) {
		t.Errorf("underneath(%q, %q) = %q, want %q", env, base, got, want)
	}
}
