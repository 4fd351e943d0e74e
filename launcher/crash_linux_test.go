package launcher_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/launcher"
)

// TestLaunchGoCrash: a daemon that dies of a Go crash before it is ready, writing a stack
// trace far longer than the ten lines an error quotes, is reported with the crash's own
// lines, read from its log, not the end of its stack trace.
func TestLaunchGoCrash(t *testing.T) {
	s, spec, e := shellDaemon(t, `echo starting
echo 'runtime: failed to create new OS thread (have 2 already; errno=11)' >&2
echo 'runtime: may need to increase max user processes (ulimit -u)' >&2
echo 'fatal error: newosproc' >&2
echo >&2; echo 'runtime stack:' >&2
i=0; while [ $i -lt 80 ]; do printf 'runtime.newm1(0x%d)\n\t/go/src/runtime/proc.go:2927 +0xbd\n' $i >&2; i=$((i+1)); done
echo >&2; echo 'goroutine 1 [running]:' >&2; echo 'main.main()' >&2
echo 'rax    0x0' >&2; echo 'rip    0x46e0a1' >&2
exit 2`)
	_, err := launch(t, context.Background(), s, spec)
	if !errors.Is(err, launcher.ErrExited) {
		t.Fatalf("err = %v; want ErrExited", err)
	}
	want := "start fake: daemon exited before it was ready: exit status 2\n" +
		"it crashed (a Go runtime error; the stack trace follows these lines in " + e.Log + "):\n" +
		"    runtime: failed to create new OS thread (have 2 already; errno=11)\n" +
		"    runtime: may need to increase max user processes (ulimit -u)\n" +
		"    fatal error: newosproc"
	if err.Error() != want {
		t.Errorf("err =\n%s\nwant\n%s", err, want)
	}
	if strings.Contains(err.Error(), "rax") {
		t.Errorf("the error quotes the register dump")
	}
}

// TestLaunchGoCrashLongStack: a Go crash whose stack trace is longer than the end of the
// log that is read for the error's last lines (a panic with GOTRACEBACK=all in a program
// of hundreds of goroutines, or a fatal error, which dumps them all) is still reported
// by its reason, found further back, with how much of the log it leaves out.
func TestLaunchGoCrashLongStack(t *testing.T) {
	s, spec, e := shellDaemon(t, `echo starting
echo 'panic: the reason: config missing' >&2
echo >&2
i=0; while [ $i -lt 400 ]; do printf 'goroutine %d [sleep]:\ntime.Sleep(0x34630b8a000)\n\t/go/src/runtime/time.go:338 +0x167\nmain.deep(0x0, 0xc000012345)\n\t/src/main.go:11 +0x1b\n\n' $i >&2; i=$((i+1)); done
exit 2`)
	_, err := launch(t, context.Background(), s, spec)
	if !errors.Is(err, launcher.ErrExited) {
		t.Fatalf("err = %v; want ErrExited", err)
	}
	want := "start fake: daemon exited before it was ready: exit status 2\n" +
		"it crashed (a Go runtime error; the stack trace follows these lines in " + e.Log + ", 54 KiB of it, not quoted here):\n" +
		"    panic: the reason: config missing"
	if err.Error() != want {
		t.Errorf("err =\n%s\nwant\n%s", err, want)
	}
}
