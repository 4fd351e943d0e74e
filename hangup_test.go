//go:build linux

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/scripttest"
	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/pidfile"
)

// A session at a terminal window: an interactive bash in a pseudo-terminal, what is typed
// at it, and what it started, for the tests of a foreground start whose terminal goes.
type session struct {
	t        *testing.T
	state    string
	terminal *os.File // the master: closing it is closing the window, or ssh dropping
	shell    *exec.Cmd
	exited   <-chan struct{} // closed once the shell has exited
	env      []string
}

// newSession starts `bash --norc --noprofile -i` at a new pseudo-terminal, with the
// instances' state and logs in a directory of their own. Nothing reads the terminal (a
// read in progress would keep it open past Close, and it would never hang up): what is
// typed at it is short, and the starts log to files. Whatever the test does, the shell,
// the starts and their programs are killed by pid when it ends.
func newSession(t *testing.T) *session {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("needs bash")
	}
	s := &session{t: t, state: t.TempDir()}
	s.env = testutil.Environ("DAEMONKIT_STATE_DIR="+s.state, "DAEMONKIT_LOG_DIR="+s.state)
	s.shell = exec.Command("bash", "--norc", "--noprofile", "-i")
	s.shell.Env = append(s.env, "PS1=$ ", "HISTFILE=/dev/null", "TERM=dumb")
	s.terminal, s.exited = scripttest.AtTerminal(t, s.shell, s.state)
	t.Cleanup(s.killSession)
	t.Cleanup(s.logsIfFailed) // before the kill: what the starts said, not their killing
	return s
}

// logsIfFailed prints the log of every start of the session, if the test failed: a wait
// that timed out says only what it waited for.
func (s *session) logsIfFailed() {
	if !s.t.Failed() {
		return
	}
	logs, _ := filepath.Glob(filepath.Join(s.state, "*.log"))
	for _, log := range logs {
		b, _ := os.ReadFile(log)
		s.t.Logf("%s:\n%s", filepath.Base(log), b)
	}
}

// killSession kills, by pid, every process of the shell's session, its jobs and what
// they started (the shell is the test's child: its pid names no other session yet), and
// waits until they are gone.
func (s *session) killSession() {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == s.shell.Process.Pid {
			continue
		}
		if st, err := proc.ReadStat(pid); err == nil && st.SID == s.shell.Process.Pid {
			scripttest.KillAndWait(s.t.Log, pid)
		}
	}
}

// typeLine types line and Enter at the terminal.
func (s *session) typeLine(line string) {
	s.t.Helper()
	if _, err := s.terminal.Write([]byte(line + "\n")); err != nil {
		s.t.Fatalf("type %q: %v", line, err)
	}
}

// closeWindow closes the terminal's master, as a closed window or a dropped ssh session
// does: the kernel hangs the terminal up, and signals the shell, its session's leader.
func (s *session) closeWindow() {
	s.t.Helper()
	if err := s.terminal.Close(); err != nil {
		s.t.Fatalf("close the terminal: %v", err)
	}
}

// daemonkit runs a daemonkit command on the session's instances, from outside the terminal.
func (s *session) daemonkit(args ...string) (string, error) {
	cmd := exec.Command("daemonkit", args...)
	cmd.Env = s.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// running waits until the instance name is running and ready, and returns its pid, held
// by a handle that kills it when the test ends (whatever happened), and its record.
func (s *session) running(name string) (int, instance.Record) {
	s.t.Helper()
	var rec instance.Record
	testutil.WaitFor(s.t, name+" to be running", func() bool {
		r, err := instance.ReadRecord(filepath.Join(s.state, name+".json"))
		rec = r
		return err == nil && r.State == instance.StateRunning && (len(r.Command) == 0 || r.ChildPID > 0)
	})
	st, err := pidfile.Probe(filepath.Join(s.state, name+".pid"))
	if err != nil || st.State != pidfile.Running {
		s.t.Fatalf("probe %s's pidfile: %v %v", name, st.State, err)
	}
	s.own(st.PID)
	if rec.ChildPID > 0 {
		s.own(rec.ChildPID)
	}
	return st.PID, rec
}

// own kills pid, by a handle opened now, when the test ends.
func (s *session) own(pid int) {
	p, err := proc.Open(pid)
	if err != nil {
		s.t.Fatalf("open pid %d: %v", pid, err)
	}
	s.t.Cleanup(func() {
		defer p.Close()
		if p.Signal(syscall.SIGKILL) == nil {
			ctx, cancel := context.WithTimeout(context.Background(), testutil.Deadline)
			defer cancel()
			_ = p.Wait(ctx)
		}
	})
}

// logSays waits until the log of name says text.
func (s *session) logSays(name, text string) {
	s.t.Helper()
	testutil.WaitFor(s.t, name+"'s log to say "+text, func() bool {
		b, _ := os.ReadFile(filepath.Join(s.state, name+".log"))
		return strings.Contains(string(b), text)
	})
}

// reloads runs `daemonkit reload` of name and checks it succeeded, that the daemon pid
// said it reloaded (its log was reopened: one more such line than before), and runs on.
func (s *session) reloads(name string, pid int) {
	s.t.Helper()
	log := filepath.Join(s.state, name+".log")
	before, _ := os.ReadFile(log)
	had := strings.Count(string(before), "reopened log")
	out, err := s.daemonkit("reload", "--name", name)
	if err != nil {
		s.t.Fatalf("reload: %v\n%s", err, out)
	}
	testutil.WaitFor(s.t, name+" to log its reload", func() bool {
		b, _ := os.ReadFile(log)
		return strings.Count(string(b), "reopened log") > had
	})
	if out, err := s.daemonkit("status", "--name", name); err != nil || !scripttest.Alive(pid) {
		b, _ := os.ReadFile(log)
		s.t.Fatalf("after reload: status %v\n%s\nalive %v; its log:\n%s", err, out, scripttest.Alive(pid), b)
	}
}

// TestBackgroundedAndLeftReloads: a foreground start put in the background at a shell and
// left there (`&`, then `disown`, or the shell's exit, which sends its jobs no SIGHUP
// without huponexit) loses its terminal with no SIGHUP: the user meant it to run on. A
// `reload` long after is a reload, as it always was: it must not stop it.
func TestBackgroundedAndLeftReloads(t *testing.T) {
	for _, leave := range []string{"disown", "exit"} {
		t.Run(leave, func(t *testing.T) {
			s := newSession(t)
			log := filepath.Join(s.state, "bg.log")
			s.typeLine("daemonkit start --name bg --log " + log + " &")
			pid, _ := s.running("bg")
			// Once disowned, the shell's "left" file says so: a hangup before that would be
			// passed on to the job, which is the other test's case.
			if leave == "disown" {
				left := filepath.Join(s.state, "left")
				s.typeLine("disown && : >" + left)
				testutil.WaitFor(t, "the shell to disown the start", func() bool {
					_, err := os.Stat(left)
					return err == nil
				})
			} else {
				s.typeLine(leave)
				select {
				case <-s.exited:
				case <-time.After(testutil.Deadline):
					t.Fatal("the shell did not exit")
				}
			}
			s.closeWindow()
			// The reload comes long after the terminal went: that is what makes it a reload,
			// not the hangup's SIGHUP, which comes with it. This wait is the scenario's, not
			// a synchronisation: nothing here waits for the daemon.
			time.Sleep(3 * time.Second)
			s.logSays("bg", "terminal hung up, with no SIGHUP: running on") // once 2s passed with none
			s.reloads("bg", pid)
		})
	}
}

// TestReloadThenExitAtTheTerminal: a start put in the background and left, reloaded from
// the terminal it was started at just before the shell exits there (`daemonkit reload
// --name bg; exit`, then the window closes): the reload's SIGHUP comes just before the
// hangup, as a foreground start's does when xterm signals the shell, but the start was
// not the terminal's foreground job when it came. It reloads, as reload said, and runs on.
func TestReloadThenExitAtTheTerminal(t *testing.T) {
	s := newSession(t)
	log := filepath.Join(s.state, "bg.log")
	s.typeLine("daemonkit start --name bg --log " + log + " &")
	pid, _ := s.running("bg")
	left := filepath.Join(s.state, "left")
	s.typeLine("disown && : >" + left)
	testutil.WaitFor(t, "the shell to disown the start", func() bool {
		_, err := os.Stat(left)
		return err == nil
	})
	// The shell exits once the daemon has taken the reload's SIGHUP (its log says so):
	// taken only after the hangup, on a loaded machine, it could not be told from the
	// hangup's own (see the judge in server/hangup.go), and would stop the start.
	s.typeLine("daemonkit reload --name bg; until grep -q 'reopened log' " + log + "; do sleep 0.01; done; exit")
	select {
	case <-s.exited:
	case <-time.After(testutil.Deadline):
		t.Fatal("the shell did not exit")
	}
	s.closeWindow()
	s.logSays("bg", "terminal hung up")
	testutil.WaitFor(t, "bg to say whether it runs on", func() bool {
		b, _ := os.ReadFile(log)
		return strings.Contains(string(b), "running on") || strings.Contains(string(b), "stopping")
	})
	b, _ := os.ReadFile(log)
	if !strings.Contains(string(b), "reopened log") || strings.Contains(string(b), "stopping") || !scripttest.Alive(pid) {
		t.Fatalf("after reload; exit: alive %v, want a reload and running on; its log:\n%s", scripttest.Alive(pid), b)
	}
	if out, err := s.daemonkit("status", "--name", "bg"); err != nil {
		t.Fatalf("status after reload; exit: %v\n%s", err, out)
	}
}

// TestForegroundStartEndsWithItsTerminal: a foreground start running as the shell's
// foreground job, its terminal closed: the shell passes the hangup on to its job as
// SIGHUP, and the start stops gracefully, as the rest of its job does, rather than reload
// and run on unseen, holding its pidfile and port. Its program goes too.
func TestForegroundStartEndsWithItsTerminal(t *testing.T) {
	for _, tc := range []struct {
		name, args string
		order      string   // "window": the window is closed; "shell": the shell is sent SIGHUP first, and exits, then the window closes (xterm)
		lastExit   []string // the record's, one of
		status     []string // start's exit status, one of
	}{
		{"builtin", "", "window", []string{"stopped"}, []string{"0"}},
		// A program that catches SIGHUP (its reload) is sent its stop signal.
		{"reloading-program", " -- catchsig CAUGHT HUP TERM", "window", []string{"stopped: exited with status 0"}, []string{"0"}},
		{"reloading-program-shell-first", " -- catchsig CAUGHT HUP TERM", "shell", []string{"stopped: exited with status 0"}, []string{"0"}},
		// One that does not catch it dies of the shell's SIGHUP, as every program of the
		// job does, maybe before its supervisor takes the same SIGHUP for a stop: to be
		// restarted, with --restart always, but for the stop, which alone ends the start
		// (as its copy ended, or in the back-off once a restart was planned).
		{"program", " --restart always -- sleep 1000", "window", []string{"stopped: killed by signal 1", "killed by signal 1 (SIGHUP)", "stopped as its copy ended", "stopped between restarts"}, []string{"129"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSession(t)
			log := filepath.Join(s.state, "fg.log")
			status := filepath.Join(s.state, "status")
			caught := filepath.Join(s.state, "caught")
			// sh keeps start's exit status: a caught HUP does not end it, and start does
			// not inherit the trap.
			args := strings.ReplaceAll(tc.args, "CAUGHT", caught)
			s.typeLine(`sh -c 'trap : HUP; daemonkit start --name fg --log ` + log + args + `; echo $? >` + status + `'`)
			pid, rec := s.running("fg")
			if strings.Contains(tc.args, "--") && rec.ChildPID == 0 {
				t.Fatal("no program pid in the record")
			}
			if strings.Contains(tc.args, "catchsig") {
				testutil.WaitFor(t, "the program to catch its signals", func() bool {
					b, _ := os.ReadFile(caught)
					return strings.HasPrefix(string(b), "ready\n")
				})
			}
			if tc.order == "shell" {
				if err := syscall.Kill(s.shell.Process.Pid, syscall.SIGHUP); err != nil {
					t.Fatal(err)
				}
				select {
				case <-s.exited:
				case <-time.After(testutil.Deadline):
					t.Fatal("the shell did not exit of SIGHUP")
				}
			}
			s.closeWindow()
			testutil.WaitFor(t, "the foreground start and its program to end", func() bool {
				return !scripttest.Alive(pid) && (rec.ChildPID == 0 || !scripttest.Alive(rec.ChildPID))
			})
			lb, _ := os.ReadFile(log)
			st, err := pidfile.Probe(filepath.Join(s.state, "fg.pid"))
			if err != nil || st.State == pidfile.Running {
				t.Errorf("pidfile after the hangup: %v %v, want released", st.State, err)
			}
			after, err := instance.ReadRecord(filepath.Join(s.state, "fg.json"))
			if err != nil || after.State != instance.StateStopped || !hasAnyPrefix(after.LastExit, tc.lastExit) {
				t.Errorf("record after the hangup: state %q, last exit %q, %v; want stopped, %q", after.State, after.LastExit, err, tc.lastExit)
			}
			if !strings.Contains(string(lb), "terminal hung up: stopping") || strings.Contains(string(lb), "running on") {
				t.Errorf("its log does not say why it stopped, or says it runs on:\n%s", lb)
			}
			if b, _ := os.ReadFile(caught); strings.Contains(tc.args, "catchsig") && !strings.Contains(string(b), "SIGTERM") {
				t.Errorf("the program had no SIGTERM, its stop signal; it caught:\n%s", b)
			}
			testutil.WaitFor(t, "start's exit status", func() bool {
				b, _ := os.ReadFile(status)
				return strings.HasSuffix(string(b), "\n")
			})
			b, _ := os.ReadFile(status)
			if code := strings.TrimSpace(string(b)); !slices.Contains(tc.status, code) {
				t.Errorf("start exited %s, want %q; its log:\n%s", code, tc.status, lb)
			}
		})
	}
}

// TestForegroundStartEndsWithItsTerminalWhileStarting: the window a foreground start was
// typed at is closed while the start is not ready yet (its readiness check is slow): the
// start ends at once, as a stop during a start does, rather than run on until ready, or
// its ready timeout, and only then stop.
func TestForegroundStartEndsWithItsTerminalWhileStarting(t *testing.T) {
	s := newSession(t)
	log := filepath.Join(s.state, "fg.log")
	status := filepath.Join(s.state, "status")
	caught := filepath.Join(s.state, "caught")
	never := filepath.Join(s.state, "never") // the readiness check waits for it: it never comes
	s.typeLine(`sh -c 'trap : HUP; daemonkit start --name fg --log ` + log + ` --ready "cmd:test -e ` + never +
		`" --ready-timeout 10m -- catchsig ` + caught + ` HUP TERM; echo $? >` + status + `'`)
	testutil.WaitFor(t, "the program to catch its signals", func() bool {
		b, _ := os.ReadFile(caught)
		return strings.HasPrefix(string(b), "ready\n")
	})
	st, err := pidfile.Probe(filepath.Join(s.state, "fg.pid"))
	if err != nil || st.State != pidfile.Running {
		t.Fatalf("probe fg's pidfile: %v %v", st.State, err)
	}
	s.own(st.PID)
	s.closeWindow()
	testutil.WaitFor(t, "the starting start to end", func() bool { return !scripttest.Alive(st.PID) })
	lb, _ := os.ReadFile(log)
	if !strings.Contains(string(lb), "terminal hung up: stopping") || !strings.Contains(string(lb), "stopping before it was ready") {
		t.Errorf("its log does not say it stopped for the hangup before it was ready:\n%s", lb)
	}
	// An instance that never ran keeps no record, as after a SIGTERM before it was ready.
	if _, err := os.Stat(filepath.Join(s.state, "fg.json")); !os.IsNotExist(err) {
		t.Errorf("a record is left of a start that never ran: %v", err)
	}
	if b, _ := os.ReadFile(caught); !strings.Contains(string(b), "SIGTERM") {
		t.Errorf("the program had no SIGTERM, its stop signal; it caught:\n%s", b)
	}
	testutil.WaitFor(t, "start's exit status", func() bool {
		b, _ := os.ReadFile(status)
		return strings.HasSuffix(string(b), "\n")
	})
	// 128+1, as a stop by SIGTERM before it was ready exits 128+15.
	if b, _ := os.ReadFile(status); strings.TrimSpace(string(b)) != "129" {
		t.Errorf("start exited %s, want 129, as a start stopped by SIGHUP before it was ready; its log:\n%s", b, lb)
	}
}

// hasAnyPrefix reports whether s begins with one of prefixes.
func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// TestForegroundReloadAtTerminal: `reload` of a foreground start whose terminal is still
// there reloads it, as it always did.
func TestForegroundReloadAtTerminal(t *testing.T) {
	s := newSession(t)
	s.typeLine("daemonkit start --name fg --log " + filepath.Join(s.state, "fg.log"))
	pid, _ := s.running("fg")
	s.reloads("fg", pid)
	if out, err := s.daemonkit("stop", "--name", "fg"); err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
}
