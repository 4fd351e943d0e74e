//go:build linux

package reliability_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestHostilePidfiles puts, in turn, every kind of pidfile daemonkit must never act on
// where an instance's pidfile goes, and runs every command that reads one: status, stop
// (also with SIGKILL at once), reload, reopen, list, stop --all, reload --all, reopen
// --all and delete. None of them may signal anything. A sentinel process, whose pid most
// of the pidfiles name, records every signal it receives, and so does the test process,
// which the others name: both must have received none, the sentinel must still run (not
// killed, not stopped), and the file a symlinked pidfile points at must be exactly as it
// was. Every command must return; their exit codes are logged (go test -v).
func TestHostilePidfiles(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()

	// The sentinel, and the test process itself, record every signal they get.
	sigfile := filepath.Join(dir, "sentinel.signals")
	sentinel := exec.Command(helperPath(t, "sentinel"), sigfile)
	sentinel.Env = e.environ("sentinel")
	if err := sentinel.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = sentinel.Process.Kill() // by pid: it is this test's child
		_ = sentinel.Wait()
	})
	waitFor(t, "the sentinel to catch every signal", func() bool {
		b, _ := os.ReadFile(sigfile)
		return bytes.HasPrefix(b, []byte("ready\n"))
	})
	self := make(chan os.Signal, 64)
	signal.Notify(self)
	defer signal.Stop(self)

	sp, me := sentinel.Process.Pid, os.Getpid()
	spStart := startTime(t, sp)
	pidMax := readInt(t, "/proc/sys/kernel/pid_max")

	// A file that a symlinked pidfile points at: it names the sentinel, and must stay
	// exactly as it is.
	precious := filepath.Join(dir, "precious.conf")
	if err := os.WriteFile(precious, []byte(fmt.Sprintf("%d\n", sp)), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(precious, old, old); err != nil {
		t.Fatal(err)
	}
	preciousBefore := fileState(t, precious)

	content := func(s string) func(t *testing.T, e *env) {
		return func(t *testing.T, e *env) {
			if err := os.WriteFile(e.pidfile("h"), []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// recordAs writes h's record as the instance named name would have written its own, with
	// the JSON fields extra (each followed by a comma) besides.
	recordAs := func(name string, pid int, start uint64, extra string) func(t *testing.T, e *env) {
		return func(t *testing.T, e *env) {
			rec := fmt.Sprintf(`{%s"name":%q,"pid":%d,"start_time":%d,"state":"running","strategy":"setsid",`+
				`"program":"daemonkit","log":%q,"pidfile":%q,"started_at":"2026-01-01T00:00:00Z"}`+"\n",
				extra, name, pid, start, e.logfile(name), e.pidfile(name))
			if err := os.WriteFile(e.record("h"), []byte(rec), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	record := func(pid int, start uint64) func(t *testing.T, e *env) { return recordAs("h", pid, start, "") }
	both := func(fs ...func(t *testing.T, e *env)) func(t *testing.T, e *env) {
		return func(t *testing.T, e *env) {
			for _, f := range fs {
				f(t, e)
			}
		}
	}
	cases := []struct {
		name string
		make func(t *testing.T, e *env)
	}{
		{"empty", content("")},
		{"zero", content("0\n")},
		{"one", content("1\n")},
		{"minus_one", content("-1\n")},
		{"garbage", content("hello, world\n")},
		{"binary", content("\x00\xff\x7f\n")},
		{"overflow", content("99999999999999999999999999999\n")},
		{"beyond_int32", content("2147483648\n")},
		{"beyond_pid_max", content(fmt.Sprintf("%d\n", pidMax+1))},
		{"sentinel_space", content(fmt.Sprintf(" %d\n", sp))},
		{"sentinel_junk", content(fmt.Sprintf("%d junk\n", sp))},
		{"sentinel_two_lines", content(fmt.Sprintf("%d\n%d\n", sp, me))},
		{"symlink_to_a_file", func(t *testing.T, e *env) {
			if err := os.Symlink(precious, e.pidfile("h")); err != nil {
				t.Fatal(err)
			}
		}},
		{"directory", func(t *testing.T, e *env) {
			if err := os.Mkdir(e.pidfile("h"), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{"fifo", func(t *testing.T, e *env) {
			if err := unix.Mkfifo(e.pidfile("h"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"live_unrelated_process", content(fmt.Sprintf("%d\n", sp))},
		{"the_test_itself", content(fmt.Sprintf("%d\n", me))},
		{"live_unrelated_with_its_record_wrong_start", both(content(fmt.Sprintf("%d\n", sp)), record(sp, spStart+1))},
		{"record_only_wrong_start", record(sp, spStart+1)},
		{"record_only_no_start", record(sp, 0)},
		{"record_only_the_test_itself", record(me, 0)},
		{"record_of_another_instance_right_start", recordAs("other", sp, spStart, "")},
		{"record_of_another_boot_right_start", recordAs("h", sp, spStart, `"boot_id":"00000000-0000-0000-0000-000000000000",`)},
		{"record_of_another_boot_with_an_invocation", recordAs("h", sp, spStart, `"boot_id":"0","invocation":"00",`)},
		{"record_of_another_user_right_start", func(t *testing.T, e *env) {
			record(sp, spStart)(t, e)
			if err := os.Chown(e.record("h"), 65534, 65534); err != nil {
				t.Skipf("chown: %v (needs root)", err)
			}
		}},
	}
	commands := [][]string{
		{"status", "--name", "h"},
		{"stop", "--name", "h"},
		{"stop", "--name", "h", "--signal", "KILL", "--timeout", "0"},
		{"reload", "--name", "h"},
		{"reopen", "--name", "h"},
		{"list"},
		{"stop", "--all"},
		{"reload", "--all"},
		{"reopen", "--all"},
		{"delete", "--name", "h"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ce := &env{t: t, bin: e.bin, state: t.TempDir(), test: e.test}
			var codes []string
			for _, args := range commands {
				c.make(t, ce) // again before each command: one may have removed it
				r := ce.run("h", args...)
				codes = append(codes, fmt.Sprintf("%s=%d", strings.Join(args[:1], " "), r.code))
				clean(t, ce.pidfile("h"))
				_ = os.Remove(ce.record("h"))
			}
			t.Logf("exit codes: %s", strings.Join(codes, " "))

			if b, _ := os.ReadFile(sigfile); string(b) != "ready\n" {
				t.Fatalf("the sentinel (pid %d) was signalled: %q", sp, strings.TrimPrefix(string(b), "ready\n"))
			}
			if st, ok := stat(sp); !ok || st.state == 'Z' || st.state == 'T' || st.state == 't' {
				t.Fatalf("the sentinel (pid %d) is no longer running: state %c", sp, st.state)
			}
			if got := drainSignals(self); len(got) > 0 {
				t.Fatalf("the test process (pid %d) was signalled: %v", me, got)
			}
			if now := fileState(t, precious); now != preciousBefore {
				t.Fatalf("the file a symlinked pidfile points at changed: %+v, was %+v", now, preciousBefore)
			}
		})
	}
}

// clean removes whatever the case put at path.
func clean(t *testing.T, path string) {
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}
}

// drainSignals returns the signals waiting in c, less those a test process gets in its
// ordinary life: SIGCHLD (its commands end), SIGURG (the Go runtime's preemption) and
// SIGWINCH (a terminal resized).
func drainSignals(c chan os.Signal) []string {
	var got []string
	for {
		select {
		case s := <-c:
			switch s {
			case syscall.SIGCHLD, syscall.SIGURG, syscall.SIGWINCH:
			default:
				got = append(got, signalName(s))
			}
		default:
			return got
		}
	}
}

// fileInfo is what must not change about a file.
type fileInfo struct {
	content string
	mode    os.FileMode
	mtime   time.Time
	ino     uint64
	nlink   uint64
}

func fileState(t *testing.T, path string) fileInfo {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return fileInfo{content: string(b), mode: fi.Mode(), mtime: fi.ModTime(), ino: st.Ino, nlink: uint64(st.Nlink)}
}

// startTime is pid's start time, in clock ticks after boot (/proc/PID/stat, field 22).
func startTime(t *testing.T, pid int) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	v, err := strconv.ParseUint(f[19], 10, 64) // field 22 counts from the pid (1) and the name (2)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func readInt(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return v
}
