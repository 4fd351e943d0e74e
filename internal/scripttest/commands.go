//go:build linux

// Package scripttest is what every end-to-end script suite of this module shares: the
// script commands that look at real processes (pidof, procinfo, gone, ...), the small
// programs scripts run (httpget, withfd), and the set-up that gives each script its own
// state directory and kills, by pid, every daemon it leaves. A suite's TestMain calls Main;
// its test calls Run.
package scripttest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/pidfile"
)

// scriptDeadline bounds every wait a script command does: generous, since a condition
// is waited on, never a length of time.
const scriptDeadline = testutil.Deadline

// Run runs every script in dir (<command>_<scenario>.txtar) against the binary under
// test, whose environment variables start with envPrefix ("DAEMONKIT_"): each script gets
// $STATE ($WORK/state) as its state and log directory, a -race binary that exits at once,
// the commands below, and, whatever happens, every process holding a pidfile under $WORK
// killed by pid at its end.
func Run(t *testing.T, dir, envPrefix string) {
	testutil.DefaultSignals()
	passed := []string{envPrefix + "STATE_DIR", envPrefix + "LOG_DIR", "STATE", "WORK", "HOME", "TMPDIR", "PATH"}

	cmds := map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"pidof":        cmdPidof,
		"addrof":       cmdAddrof,
		"procinfo":     cmdProcinfo,
		"gone":         cmdGone,
		"signal":       cmdSignal,
		"own":          cmdOwn,
		"concurrently": func(ts *testscript.TestScript, neg bool, args []string) { cmdConcurrently(ts, neg, args, passed) },
		"waitlog":      cmdWaitlog,
		"fdclosed":     cmdFdclosed,
		"waitpidfd":    cmdWaitpidfd,
		"writepid":     cmdWritepid,
		"spawn":        cmdSpawn,
		"exits":        func(ts *testscript.TestScript, neg bool, args []string) { cmdExits(ts, neg, args, passed) },
		"everyline":    cmdEveryline,
		"capture":      cmdCapture,
		"mark":         cmdMark,
		"sequence":     cmdSequence,
		"notifylisten": cmdNotifylisten,
		"notified":     cmdNotified,
		"nozombies":    cmdNozombies,
		"tmpfs":        cmdTmpfs,
		"fill":         cmdFill,
		"fatfs":        cmdFatfs,
		"nofilespare":  cmdNofilespare,
	}
	testscript.Run(t, testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			state := filepath.Join(env.WorkDir, "state")
			env.Setenv("STATE", state)
			env.Values[managerKey{}] = &manager{}
			env.Setenv(envPrefix+"STATE_DIR", state)
			env.Setenv(envPrefix+"LOG_DIR", state)
			env.Setenv("GORACE", testutil.GORACE()) // a -race daemon would sleep a second at every exit
			env.Defer(func() { KillDaemonsUnder(env.T().Log, env.WorkDir) })
			return nil
		},
		Cmds: cmds,
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "root":
				return os.Geteuid() == 0, nil
			case "fuse": // a FAT file system can be mounted through FUSE here (fatfs)
				return fatMountable(), nil
			case "gdb": // gdb can hold a program it did not start (gdb -p)
				return gdbAttaches(), nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	})
}

// Main is a suite's TestMain: it makes the test binary the program under test, name,
// running main, whenever it is run under that name, and the small programs scripts run
// besides it under theirs (httpget URL, withfd FILE PROG ARGS..., notifier, an sd_notify
// daemon, httpserve ADDR, holdlock FILE, blocksig PROG ARGS..., and catchsig FILE
// SIG...), so that the scripts drive the real program, its re-exec and daemon sides
// included. Otherwise it runs the tests, scriptsPerCPU scripts at once for each CPU
// unless -parallel says otherwise.
func Main(m *testing.M, name string, main func()) {
	testscript.Main(moreScriptsAtOnce{m}, map[string]func(){
		name: main, "httpget": httpGetMain, "withfd": withFDMain, "notifier": notifierMain, "httpserve": httpServeMain,
		"holdlock": holdLockMain, "blocksig": blockSigMain, "catchsig": catchSigMain,
	})
}

// KillDaemonsUnder stops, by pid, every process that holds the lock of a pidfile under dir,
// whatever its name (a --pidfile need not end in .pid): whatever a test did or failed to
// do, no daemon of it outlives it.
func KillDaemonsUnder(logf func(...any), dir string) {
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		st, err := pidfile.Probe(path)
		if err != nil || st.State != pidfile.Running {
			return nil
		}
		KillAndWait(logf, st.PID)
		return nil
	})
}

// KillAndWait SIGKILLs pid, and what it started: the process groups its children lead,
// and its own group unless that is the caller's; then waits, with a deadline, until it is
// gone or a zombie.
func KillAndWait(logf func(...any), pid int) {
	p, err := proc.Open(pid)
	if err != nil {
		return // already gone
	}
	defer p.Close()
	for _, g := range proc.ChildGroups(pid) {
		_ = syscall.Kill(-g, syscall.SIGKILL)
	}
	if pgid, err := syscall.Getpgid(pid); err == nil && pgid > 1 && pgid != syscall.Getpgrp() && p.Signal(0) == nil {
		_ = syscall.Kill(-pgid, syscall.SIGKILL) // the daemon is a member: the group is its instance's
	}
	if err := p.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, proc.ErrGone) {
		return
	}
	if err := waitGone(p, testutil.Deadline); err != nil {
		logf(fmt.Sprintf("pid %d still there after SIGKILL: %v", pid, err))
	}
}

// pidof [-wait] NAME VAR: sets $VAR to the pid holding NAME's pidfile lock (in $STATE, or
// the pidfile given as NAME if it contains a slash); -wait waits
// for one, with a deadline. `! pidof NAME` asserts none holds it.
func cmdPidof(ts *testscript.TestScript, neg bool, args []string) {
	wait := len(args) > 0 && args[0] == "-wait"
	if wait {
		args = args[1:]
	}
	if len(args) < 1 || len(args) > 2 || (!neg && len(args) != 2) {
		ts.Fatalf("usage: pidof [-wait] NAME VAR")
	}
	path := args[0]
	if !strings.Contains(path, "/") {
		path = filepath.Join(ts.Getenv("STATE"), path+".pid")
	}
	st, err := pidfile.Probe(path)
	for deadline := time.Now().Add(scriptDeadline); wait && err == nil && st.State != pidfile.Running && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond) // polling a lock for a condition, with a deadline
		st, err = pidfile.Probe(path)
	}
	ts.Check(err)
	if neg {
		if st.State == pidfile.Running {
			ts.Fatalf("%s is held by pid %d", path, st.PID)
		}
		return
	}
	if st.State != pidfile.Running {
		ts.Fatalf("%s: %s, not running", path, st.State)
	}
	ts.Setenv(args[1], strconv.Itoa(st.PID))
}

// addrof [-wait] NAME VAR: sets $VAR to the address NAME's record says it listens on;
// -wait waits for a record that says one, with a deadline (a daemon writes it once ready).
func cmdAddrof(ts *testscript.TestScript, neg bool, args []string) {
	wait := len(args) > 0 && args[0] == "-wait"
	if wait {
		args = args[1:]
	}
	if neg || len(args) != 2 {
		ts.Fatalf("usage: addrof [-wait] NAME VAR")
	}
	path := filepath.Join(ts.Getenv("STATE"), args[0]+".json")
	rec, err := instance.ReadRecord(path)
	for deadline := time.Now().Add(scriptDeadline); wait && (err != nil || rec.Listen == "") && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond) // polling a file for a condition, with a deadline
		rec, err = instance.ReadRecord(path)
	}
	ts.Check(err)
	if rec.Listen == "" {
		ts.Fatalf("%s's record has no listen address", args[0])
	}
	ts.Setenv(args[1], rec.Listen)
}

// gone PID: waits until the process is gone (a zombie counts), failing after a deadline.
// `! gone PID` asserts it is still running.
func cmdGone(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: gone PID")
	}
	pid := atoiArg(ts, args[0])
	if neg {
		if ok, _ := proc.Running(pid); !ok {
			ts.Fatalf("pid %d is not running", pid)
		}
		return
	}
	p, err := proc.Open(pid)
	if err != nil {
		return // gone already
	}
	defer p.Close()
	ts.Check(waitGone(p, testutil.Deadline))
}

func waitGone(p *proc.Process, within time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	if err := p.Wait(ctx); err != nil {
		return fmt.Errorf("pid %d still running after %s: %w\n%s", p.PID(), within, err, describeProcess(p.PID()))
	}
	return nil
}

// describeProcess is what /proc says of pid, for a failure that must be understood from
// the test's output alone: its status lines (state, parent, threads, signal masks) and its
// command line.
func describeProcess(pid int) string {
	status, _ := os.ReadFile(proc.StatusPath(pid))
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	var keep []string
	for _, line := range strings.Split(string(status), "\n") {
		if k, _, _ := strings.Cut(line, ":"); strings.Contains(" Name State Tgid PPid TracerPid Threads SigQ SigPnd ShdPnd SigBlk SigIgn SigCgt NoNewPrivs ", " "+k+" ") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n") + "\ncmdline: " + strings.ReplaceAll(string(cmdline), "\x00", " ")
}

// signal SIG PID: sends a signal to exactly that pid. A process sent STOP is continued
// when a script that fails ends (through a pidfd opened now, so a pid reused by then is
// never hit): it would otherwise wait for ever for a background command it left stopped.
// (A script that passes waits for its background commands before that: it must continue
// what it stopped itself.)
func cmdSignal(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: signal SIG PID")
	}
	sig := unix.SignalNum("SIG" + strings.TrimPrefix(args[0], "SIG"))
	if sig == 0 {
		ts.Fatalf("unknown signal %q", args[0])
	}
	pid := atoiArg(ts, args[1])
	if sig == syscall.SIGSTOP {
		if p, err := proc.Open(pid); err == nil {
			ts.Defer(func() {
				_ = p.Signal(syscall.SIGCONT)
				p.Close()
			})
		}
	}
	ts.Check(syscall.Kill(pid, sig))
}

// own PID...: these processes are the script's to stop: each is SIGKILLed when the script
// ends, however it ends, through a pidfd opened now (so a pid reused by then is never hit).
// For what the pidfile sweep at the end cannot find, such as a program whose supervisor
// was killed. A pid that is gone already is skipped: what the script checks next (gone
// PID) is then true, and pids are handed out in increasing order, so one freed a moment
// ago is not another process's yet.
func cmdOwn(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: own PID...")
	}
	for _, a := range args {
		p, err := proc.Open(atoiArg(ts, a))
		if errors.Is(err, proc.ErrGone) {
			continue
		}
		ts.Check(err)
		ts.Defer(func() {
			defer p.Close()
			if err := p.Signal(syscall.SIGKILL); err == nil {
				_ = waitGone(p, testutil.Deadline)
			}
		})
	}
}

// concurrently N PROG ARGS...: runs N copies at the same moment and prints how many ended
// with each exit code, one line each: "exit 0: 1".
func cmdConcurrently(ts *testscript.TestScript, neg bool, args []string, passed []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: concurrently N PROG ARGS...")
	}
	n := atoiArg(ts, args[0])
	prog, err := exec.LookPath(args[1])
	ts.Check(err)
	gate := make(chan struct{})
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(prog, args[2:]...)
			cmd.Dir = ts.MkAbs(".")
			cmd.Env = scriptEnv(ts, passed)
			<-gate
			err := cmd.Run()
			codes[i] = cmd.ProcessState.ExitCode()
			if err != nil && codes[i] < 0 {
				codes[i] = -1
			}
		}()
	}
	close(gate)
	wg.Wait()
	counts := map[int]int{}
	for _, c := range codes {
		counts[c]++
	}
	keys := make([]int, 0, len(counts))
	for c := range counts {
		keys = append(keys, c)
	}
	sort.Ints(keys)
	for _, c := range keys {
		fmt.Fprintf(ts.Stdout(), "exit %d: %d\n", c, counts[c])
	}
}

// scriptEnv is the environment the script's own exec would give a program: this
// process's, with the script's values, and the variables passed.
func scriptEnv(ts *testscript.TestScript, passed []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if v := ts.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	for _, k := range passed {
		env = append(env, k+"="+ts.Getenv(k))
	}
	return testutil.Environ(env...)
}

// waitlog FILE REGEXP: waits until FILE has a line matching REGEXP.
func cmdWaitlog(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitlog FILE REGEXP")
	}
	re, err := regexp.Compile("(?m)" + args[1]) // ^ and $ are a line's
	ts.Check(err)
	deadline := time.Now().Add(scriptDeadline)
	for backoff := time.Millisecond; ; backoff = min(2*backoff, 50*time.Millisecond) {
		data, _ := os.ReadFile(ts.MkAbs(args[0]))
		if re.Match(data) {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s: no line matching %q after %s; it has:\n%s", args[0], args[1], scriptDeadline, data)
		}
		time.Sleep(backoff) // polling a file for a condition, with a deadline
	}
}

// fdclosed PID FD LINK: waits until PID's descriptor FD no longer names LINK (as readlink
// of /proc/PID/fd/FD gave it before, e.g. "pipe:[123]"): closed, another file's now, or the
// process gone. A daemon's handshake pipe, closed once its last word is written, tells
// that the word is there.
func cmdFdclosed(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: fdclosed PID FD LINK")
	}
	path := fmt.Sprintf("/proc/%d/fd/%d", atoiArg(ts, args[0]), atoiArg(ts, args[1]))
	deadline := time.Now().Add(scriptDeadline)
	for backoff := time.Millisecond; ; backoff = min(2*backoff, 50*time.Millisecond) {
		if link, err := os.Readlink(path); err != nil || link != args[2] {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s still names %s after %s", path, args[2], scriptDeadline)
		}
		time.Sleep(backoff) // nothing tells of a descriptor closed: polled, with a deadline
	}
}

// writepid FILE PID: writes a pidfile's content by hand (tampered or hostile files).
func cmdWritepid(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: writepid FILE CONTENT")
	}
	path := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(filepath.Dir(path), 0o755))
	ts.Check(os.WriteFile(path, []byte(args[1]+"\n"), 0o644))
}

func atoiArg(ts *testscript.TestScript, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		ts.Fatalf("%q is not a number", s)
	}
	return n
}

// spawn VAR PROG ARGS...: starts an unrelated process, sets $VAR to its pid, and kills it
// by that pid when the script ends, with the process groups its children lead (KillAndWait):
// script(1)'s shell leads a session of its own, and does not always die of the hangup of
// its terminal.
func cmdSpawn(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: spawn VAR PROG ARGS...")
	}
	cmd := exec.Command(args[1], args[2:]...)
	cmd.Dir = ts.MkAbs(".")
	ts.Check(cmd.Start())
	ts.Defer(func() {
		KillAndWait(func(a ...any) { ts.Logf("%s", fmt.Sprint(a...)) }, cmd.Process.Pid)
		_ = cmd.Wait()
	})
	ts.Setenv(args[0], strconv.Itoa(cmd.Process.Pid))
}

// exits CODE PROG ARGS...: runs PROG and fails unless it exits with CODE, or, where CODE
// is a signal's name (SIGINT), unless that signal ended it (as a shell tells apart from an
// exit of 128+N only by the shell's own end); its stdout and stderr are the command's, for
// the stdout and stderr checks that follow.
func cmdExits(ts *testscript.TestScript, neg bool, args []string, passed []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE|SIGNAME PROG ARGS...")
	}
	var wantSig syscall.Signal
	want := -1 // a process ended by a signal has no exit code
	if strings.HasPrefix(args[0], "SIG") {
		if wantSig = unix.SignalNum(args[0]); wantSig == 0 {
			ts.Fatalf("%q is no signal's name", args[0])
		}
	} else {
		want = atoiArg(ts, args[0])
	}
	prog, err := exec.LookPath(args[1])
	ts.Check(err)
	cmd := exec.Command(prog, args[2:]...)
	cmd.Args[0] = args[1]
	cmd.Dir = ts.MkAbs(".")
	cmd.Env = scriptEnv(ts, passed)
	cmd.Stdout, cmd.Stderr = ts.Stdout(), ts.Stderr()
	_ = cmd.Run()
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if got := cmd.ProcessState.ExitCode(); got != want || (wantSig != 0 && (!ws.Signaled() || ws.Signal() != wantSig)) {
		ts.Fatalf("%s ended %v, want %s", strings.Join(args[1:], " "), cmd.ProcessState, args[0])
	}
}

// everyline FILE REGEXP: fails unless every line of FILE matches REGEXP (a log whose lines
// all begin with a timestamp has no two lines glued together).
func cmdEveryline(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: everyline FILE REGEXP")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if !re.MatchString(line) {
			ts.Fatalf("%s:%d: %q does not match %q", args[0], i+1, line, args[1])
		}
	}
}

// capture FILE REGEXP VAR: sets $VAR to the first group of REGEXP's first match in FILE
// (^ and $ are a line's).
func cmdCapture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: capture FILE REGEXP VAR")
	}
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	m := re.FindSubmatch(data)
	if len(m) < 2 {
		ts.Fatalf("%s: nothing matches %q", args[0], args[1])
	}
	ts.Setenv(args[2], string(m[1]))
}

// mark VAR: VAR is set to a fresh run's mark, a value for instance.InvocationEnv, as a
// start gives every process of the run it launches (spawn D env DAEMONKIT_INVOCATION_ID=$VAR
// ...). A fresh one, as a real run's is: a stop kills whatever carries its run's mark, and
// no other script, or run of this one, carries it.
func cmdMark(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mark VAR")
	}
	mark, err := instance.NewInvocation()
	ts.Check(err)
	ts.Setenv(args[0], mark)
}

// sequence WORD FILE...: the lines "WORD N" across the files, in order, number 1, 2, 3, ...
// with none missing, repeated or split (other lines are ignored).
func cmdSequence(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: sequence WORD FILE...")
	}
	next := 1
	for _, name := range args[1:] {
		data, err := os.ReadFile(ts.MkAbs(name))
		ts.Check(err)
		for _, line := range strings.Split(string(data), "\n") {
			rest, ok := strings.CutPrefix(line, args[0]+" ")
			if !ok {
				continue
			}
			if n, err := strconv.Atoi(rest); err != nil || n != next {
				ts.Fatalf("%s: %q where %s %d was due", name, line, args[0], next)
			}
			next++
		}
	}
	fmt.Fprintf(ts.Stdout(), "%s 1 to %d\n", args[0], next-1)
}

// procPIDs lists the pids in /proc.
func procPIDs() []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}
