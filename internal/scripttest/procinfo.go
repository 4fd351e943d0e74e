//go:build linux

package scripttest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"
)

// steadyReads is how many reads of a signal mask procinfo intersects.
const steadyReads = 20

// procinfo PID: prints what /proc says of a process, one fact a line, so that a script can
// check what a daemon was left with: session, terminal, signals, descriptors, cwd, umask,
// environment and parent. The environment is compared with the caller's but for the
// variables daemonkit sets itself: the request it takes out at once, the run's
// DAEMONKIT_INVOCATION_ID, which "invocation id" reports, and a supervised program's
// DAEMONKIT_GENERATION, which "generation" reports when there is one.
func cmdProcinfo(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: procinfo PID")
	}
	pid := atoiArg(ts, args[0])
	st, err := proc.ReadStat(pid)
	ts.Check(err)
	out := ts.Stdout()
	fmt.Fprintf(out, "state: %c\n", st.State)
	fmt.Fprintf(out, "session leader: %s\n", yesNo(st.SID == pid))
	mySID, err := unix.Getsid(0)
	ts.Check(err)
	fmt.Fprintf(out, "new session: %s\n", yesNo(st.SID != mySID))
	fmt.Fprintf(out, "group leader: %s\n", yesNo(st.PGRP == pid))
	if st.TTY == 0 {
		fmt.Fprintln(out, "tty: none")
	} else {
		fmt.Fprintf(out, "tty: %d\n", st.TTY)
	}
	// A daemon's parent is init, or the nearest child subreaper above the script (a
	// systemd service, tini -s, a CI agent): both are where orphans go.
	if st.PPID == 1 || isAncestor(st.PPID) {
		fmt.Fprintln(out, "parent: init or subreaper")
	} else {
		fmt.Fprintf(out, "parent: pid %d\n", st.PPID)
	}
	for _, field := range []string{"SigIgn", "SigBlk"} {
		mask, err := steadyMask(pid, field)
		ts.Check(err)
		fmt.Fprintf(out, "%s: %016x\n", strings.ToLower(field), mask)
	}
	status, err := os.ReadFile(proc.StatusPath(pid))
	ts.Check(err)
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "Umask:"); ok {
			fmt.Fprintf(out, "umask: %s\n", strings.TrimSpace(v))
		}
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	ts.Check(err)
	fmt.Fprintf(out, "comm: %s\n", strings.TrimSpace(string(comm)))
	cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
	ts.Check(err)
	fmt.Fprintf(out, "cwd: %s\n", cwd)
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	ts.Check(err)
	sort.Slice(fds, func(i, j int) bool { return atoi(fds[i].Name()) < atoi(fds[j].Name()) })
	for _, fd := range fds {
		target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err != nil {
			continue // closed while we looked
		}
		if strings.HasPrefix(target, "socket:") {
			target = "socket"
		}
		fmt.Fprintf(out, "fd %s: %s\n", fd.Name(), target)
	}
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	ts.Check(err)
	var extra []string
	marked, generation := false, ""
	for _, kv := range bytes.Split(environ, []byte{0}) {
		k, v, _ := strings.Cut(string(kv), "=")
		if k == "PWD" && v == cwd {
			continue // a new working directory rightly updates PWD
		}
		switch {
		case k == "DAEMONKIT_REQUEST" || strings.HasPrefix(k, "DAEMONKIT_REQUEST_"):
			continue // how start hands a daemon its request; /proc keeps the first environment
		case k == "DAEMONKIT_INVOCATION_ID":
			marked = v != ""
			continue // the run's mark, which every process of it carries
		case k == "DAEMONKIT_GENERATION":
			generation = v
			continue // which copy of a supervised program it belongs to
		}
		if k != "" && ts.Getenv(k) != v {
			extra = append(extra, k)
		}
	}
	if len(extra) == 0 {
		fmt.Fprintln(out, "environment: the caller's")
	} else {
		fmt.Fprintf(out, "environment: differs from the caller's in %s\n", strings.Join(extra, " "))
	}
	fmt.Fprintf(out, "invocation id: %s\n", yesNo(marked))
	if generation != "" {
		fmt.Fprintf(out, "generation: %s\n", generation)
	}
}

// steadyMask is the signal mask field (SigIgn, SigBlk) that pid's main thread, which
// /proc/PID/status shows, keeps: what steadyReads reads of it have in common, leaving out
// the reads that find every signal blocked but the unblockable ones. A Go thread blocks
// all of them for a moment now and then (in a signal handler, whose mask is all of them:
// the runtime's preemption signal is one; around a fork or a thread's creation), and a
// loaded machine may leave it there, descheduled, for longer than any number of reads in
// a row takes. Such a moment only adds to the mask a thread keeps; a thread that kept
// every signal blocked is no Go thread, nor any daemon the strategies leave, and is
// reported so once every read up to scriptDeadline found it.
func steadyMask(pid int, field string) (uint64, error) {
	mask, deadline := ^uint64(0), time.Now().Add(scriptDeadline)
	for reads, backoff := 0, time.Millisecond; reads < steadyReads; {
		m, err := proc.SignalMask(proc.StatusPath(pid), field)
		if err != nil {
			return 0, err
		}
		if field != "SigBlk" || m|unblockable != ^uint64(0) || time.Now().After(deadline) {
			mask &= m
			reads++
			continue
		}
		time.Sleep(backoff) // polling for the moment to pass, with a deadline
		backoff = min(2*backoff, 50*time.Millisecond)
	}
	return mask, nil
}

// unblockable are the signals a moment that blocks every signal may leave unblocked in
// /proc's masks: SIGKILL and SIGSTOP, which the kernel never blocks, and 32 and 33, which
// the C library (a Go program built with cgo has it) never lets a thread block.
const unblockable = 1<<(9-1) | 1<<(19-1) | 1<<(32-1) | 1<<(33-1)

// isAncestor reports whether pid is this process or one above it.
func isAncestor(pid int) bool {
	for p := os.Getpid(); p > 1; {
		if p == pid {
			return true
		}
		st, err := proc.ReadStat(p)
		if err != nil {
			return false
		}
		p = st.PPID
	}
	return false
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// httpGetMain is the `httpget URL` program: it prints the status code and the body, and
// exits 1 only when no HTTP answer came at all.
func httpGetMain() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: httpget URL")
		os.Exit(2)
	}
	client := &http.Client{Timeout: 2 * time.Minute}
	resp, err := client.Get(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Printf("%d\n%s", resp.StatusCode, body)
}

// withFDMain is the `withfd FILE PROG ARGS...` program: it opens FILE WITHOUT close-on-exec
// and execs PROG, which so inherits a descriptor it never asked for, as `nohup cmd &` from
// a careless parent would.
func withFDMain() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: withfd FILE PROG ARGS...")
		os.Exit(2)
	}
	fd, err := syscall.Open(os.Args[1], syscall.O_RDWR|syscall.O_CREAT, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_ = fd // deliberately left open across exec
	execProgram(os.Args[2:])
}

// execProgram executes argv, its program found in PATH, or says why not and exits 1.
func execProgram(argv []string) {
	prog := argv[0]
	if !strings.Contains(prog, "/") {
		for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
			if _, err := os.Stat(filepath.Join(dir, prog)); err == nil {
				prog = filepath.Join(dir, prog)
				break
			}
		}
	}
	err := syscall.Exec(prog, argv, os.Environ())
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

// blockSigMain is the `blocksig [-signalfd] PROG ARGS...` program: it blocks SIGHUP,
// SIGUSR1, SIGUSR2, SIGALRM and SIGPIPE and execs PROG, which so starts with them blocked,
// as a careless parent (a language runtime, a CI runner) leaves them. With -signalfd it
// also opens a signalfd of them, which PROG inherits: PROG then takes them as a program
// built on one (systemd's sd-event) does.
func blockSigMain() {
	args := os.Args[1:]
	withSignalfd := len(args) > 0 && args[0] == "-signalfd"
	if withSignalfd {
		args = args[1:]
	}
	if len(args) < 1 {
		fmt.Fprintln(os.Stderr, "usage: blocksig [-signalfd] PROG ARGS...")
		os.Exit(2)
	}
	runtime.LockOSThread() // the mask set is the exec'ing thread's
	var set unix.Sigset_t
	for _, sig := range []unix.Signal{unix.SIGHUP, unix.SIGUSR1, unix.SIGUSR2, unix.SIGALRM, unix.SIGPIPE} {
		set.Val[(sig-1)/64] |= 1 << ((sig - 1) % 64)
	}
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if withSignalfd {
		if _, err := unix.Signalfd(-1, &set, 0); err != nil { // no close-on-exec: PROG's
			fmt.Fprintln(os.Stderr, "signalfd:", err)
			os.Exit(1)
		}
	}
	execProgram(args)
}

// holdAsIs is `holdlock -as-is FILE`: it locks FILE, which must be there, as a daemon
// locks its pidfile, leaves its content as it is, writes its pid into FILE.locked once it
// holds the lock (for a script to wait for), and keeps the lock until it is killed: a
// process that holds a pidfile and is no daemon of it.
func holdAsIs(path string) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0) // a bare descriptor: no finalizer closes it
	if err == nil {
		lock := unix.Flock_t{Type: unix.F_WRLCK}
		err = unix.FcntlFlock(uintptr(fd), unix.F_SETLK, &lock)
	}
	if err == nil {
		err = os.WriteFile(path+".locked", []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "holdlock -as-is:", err)
		os.Exit(1)
	}
	select {}
}

// holdLockMain is the `holdlock [-leader-exits | -as-is] FILE` program: a process that holds FILE as
// a daemon holds its pidfile, and does nothing else. It creates FILE (0644) if missing,
// takes a POSIX write lock on all of it, writes its pid into it (a script can wait for that
// line), and keeps the lock until it is killed. With -leader-exits its leader thread then
// exits alone, as a killed daemon's leader does before its last thread has closed its
// descriptors: the pid shows as a zombie while the process still holds the lock and runs.
func holdLockMain() {
	args := os.Args[1:]
	leaderExits := len(args) == 2 && args[0] == "-leader-exits"
	asIs := len(args) == 2 && args[0] == "-as-is"
	if asIs {
		holdAsIs(args[1])
	}
	if leaderExits {
		args = args[1:]
		runtime.LockOSThread()
		if unix.Gettid() != os.Getpid() { // not on the leader: an exec makes this thread it
			exe, _ := os.Executable()
			err := syscall.Exec(exe, os.Args, os.Environ())
			fmt.Fprintln(os.Stderr, "re-exec:", err)
			os.Exit(1)
		}
	}
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: holdlock [-leader-exits | -as-is] FILE")
		os.Exit(2)
	}
	f, err := os.OpenFile(args[0], os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lock := unix.Flock_t{Type: unix.F_WRLCK}
	if err := unix.FcntlFlock(f.Fd(), unix.F_SETLK, &lock); err != nil {
		fmt.Fprintln(os.Stderr, "lock:", err)
		os.Exit(1)
	}
	writePID := func() {
		if _, err := fmt.Fprintf(f, "%d\n", os.Getpid()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	if !leaderExits {
		writePID()
		select {}
	}
	// The pid is written once the leader shows as a zombie, so that a script that waits
	// for it sees the state it is after. The runtime's other threads go on, and with them
	// the process; Syscall, not RawSyscall, so that the runtime takes the leader's P back.
	go func() {
		deadline := time.Now().Add(time.Minute)
		for st, _ := proc.ReadStat(os.Getpid()); !st.LeaderExited(); st, _ = proc.ReadStat(os.Getpid()) {
			if time.Now().After(deadline) {
				fmt.Fprintln(os.Stderr, "the leader thread did not exit")
				os.Exit(1)
			}
			time.Sleep(time.Millisecond) // no event says a thread exited: poll, with a deadline
		}
		writePID()
	}()
	syscall.Syscall(unix.SYS_EXIT, 0, 0, 0)
	select {}
}
