package server_test

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/internal/testutil"
	"golang.org/x/sys/unix"
)

// TestReopenLog: after logrotate renamed the log away, SIGUSR1 or SIGHUP makes the daemon
// write to a new file at the log path.
func TestReopenLog(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGUSR1, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			opts := testOptions(t)
			d := startDaemon(t, helperCfg{Options: opts}, false)
			d.ready(t)
			rotated := opts.LogPath + ".1"
			if err := os.Rename(opts.LogPath, rotated); err != nil {
				t.Fatal(err)
			}
			d.signal(t, sig)
			testutil.WaitFor(t, "a heartbeat in the new log", func() bool {
				_, after, ok := strings.Cut(readFile(opts.LogPath), "reopened log")
				return ok && strings.Contains(after, "heartbeat")
			})
			if log := readFile(opts.LogPath); !strings.Contains(log, unix.SignalName(sig)) {
				t.Errorf("new log does not name %v:\n%s", sig, log)
			}
			if strings.Contains(readFile(rotated), "reopened log") {
				t.Error("the rotated file got the reopen line")
			}
			if fi, err := os.Stat(opts.LogPath); err != nil || fi.Mode().Perm()&^0o644 != 0 {
				t.Errorf("new log: %v %v", fi, err)
			}
			d.signal(t, syscall.SIGTERM)
			if code := d.wait(t); code != 0 {
				t.Errorf("exit %d", code)
			}
			if !strings.Contains(readFile(opts.LogPath), "stopped:") || strings.Contains(readFile(rotated), "stopped:") {
				t.Error("stopped line not in the new log only")
			}
		})
	}
}

// TestReopenForeground: without a log file, SIGHUP and SIGUSR1 only say so.
func TestReopenForeground(t *testing.T) {
	opts := testOptions(t)
	opts.LogPath = ""
	d := startDaemon(t, helperCfg{Options: opts}, false)
	d.ready(t)
	d.signal(t, syscall.SIGHUP)
	testutil.WaitFor(t, "the no-log-file line", func() bool { return strings.Count(d.log(), "no log file to reopen") == 1 })
	d.signal(t, syscall.SIGUSR1)
	testutil.WaitFor(t, "the second no-log-file line", func() bool { return strings.Count(d.log(), "no log file to reopen") == 2 })
	d.signal(t, syscall.SIGTERM)
	if code := d.wait(t); code != 0 {
		t.Errorf("exit %d; log:\n%s", code, d.log())
	}
}
