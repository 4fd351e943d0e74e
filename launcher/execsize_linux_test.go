package launcher_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/launcher"
	"github.com/daemonkit/daemonkit/strategy"
	"github.com/daemonkit/daemonkit/strategy/strategytest"
)

// TestCheckVariable: a variable of exactly MAX_ARG_STRLEN with its NUL passes; one byte
// more is a *StringTooLongError (errors.Is E2BIG) that names the variable and both sizes,
// never its value.
func TestCheckVariable(t *testing.T) {
	limit := 32 * os.Getpagesize()
	fits := "BIG=" + strings.Repeat("x", limit-len("BIG=")-1)
	if err := launcher.CheckVariable(fits); err != nil {
		t.Errorf("CheckVariable of %d bytes with its NUL: %v; want nil", len(fits)+1, err)
	}
	err := launcher.CheckVariable(fits + "y")
	var long *launcher.StringTooLongError
	if !errors.As(err, &long) || !errors.Is(err, syscall.E2BIG) {
		t.Fatalf("CheckVariable of %d bytes: %v; want a *StringTooLongError, E2BIG", len(fits)+2, err)
	}
	if long.What != "variable BIG" || long.Size != limit+1 || long.Limit != limit {
		t.Errorf("CheckVariable: %+v; want variable BIG, %d bytes, limit %d", long, limit+1, limit)
	}
	if strings.Contains(err.Error(), "xxx") {
		t.Errorf("CheckVariable's error quotes the value: %.200s", err)
	}
}

// TestLaunchStringTooLong: one variable over MAX_ARG_STRLEN, in an environment whose total
// one exec takes, is refused before anything is made (no daemon, no log), naming the
// variable, not blaming the total size.
func TestLaunchStringTooLong(t *testing.T) {
	for _, d := range strategies() {
		t.Run(d.Name, func(t *testing.T) {
			e := strategytest.New(t)
			spec := e.Spec()
			spec.Env = append(spec.Env, "SECRET="+strings.Repeat("s", 130<<10))
			_, err := launch(t, context.Background(), d.New(), spec)
			if !errors.Is(err, syscall.E2BIG) || !strings.HasPrefix(err.Error(), "start fake: variable SECRET takes 133128 bytes with its NUL, more than the ") {
				t.Fatalf("err = %.300v; want E2BIG naming SECRET", err)
			}
			if strings.Contains(err.Error(), "sss") {
				t.Errorf("the error quotes the value")
			}
			if pids := e.PIDs(); len(pids) != 0 {
				t.Errorf("fake daemons started: %v", pids)
			}
			if _, err := os.Lstat(e.Log); err == nil {
				t.Errorf("log %s made for a start refused before it began", e.Log)
			}
		})
	}
}

// TestCheckExecTotal: many variables, each within the bound on one string, over the most
// one exec takes in all (6 MiB, whatever ulimit -s), are refused with the sizes; an
// argument over the bound on one string is named by its position.
func TestCheckExecTotal(t *testing.T) {
	spec := strategy.Spec{Name: "x", Args: []string{"_daemon"}, Env: []string{"A=1"}}
	if err := launcher.CheckExec(spec); err != nil {
		t.Fatalf("CheckExec of a small spec: %v", err)
	}
	for range 64 {
		spec.Env = append(spec.Env, "V="+strings.Repeat("v", 100<<10))
	}
	err := launcher.CheckExec(spec)
	if !errors.Is(err, syscall.E2BIG) || !strings.Contains(err.Error(), "the daemon's arguments and environment take ") || !strings.Contains(err.Error(), "ulimit -s") {
		t.Errorf("CheckExec of 6.4 MiB: %.300v; want E2BIG with the sizes", err)
	}
	spec = strategy.Spec{Name: "x", Args: []string{"_daemon", strings.Repeat("a", 130<<10)}}
	var long *launcher.StringTooLongError
	if err := launcher.CheckExec(spec); !errors.As(err, &long) || long.What != "argument 2" {
		t.Errorf("CheckExec of a long argument: %.300v; want argument 2 named", err)
	}
}
