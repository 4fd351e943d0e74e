//go:build linux

package strategytest

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/daemonkit/daemonkit/handshake"
	"github.com/daemonkit/daemonkit/pidfile"
)

// runDaemon is the fake daemon: it speaks the handshake the way package server does, and
// fails, dies or hangs where its flags say.
//
//	-pidfile P   the pidfile it locks
//	-pidout F    where it appends its pid first of all, so that tests can always kill it
//	-mark M      a marker, only there for tests to recognise it in /proc/PID/cmdline
//	-fail MSG    report MSG as its error (leaving its pidfile behind, stale)
//	-exit N      write a few log lines and exit N before it is ready
//	-kill        write a few log lines and SIGKILL itself before it is ready
//	-hang        never report ready
//	-listen A    the address it reports with ready
//	-child       start a child process (which appends its pid to -pidout too) before the rest
//	-ignore-hup  ignore SIGHUP first thing, as a daemon of a strategy whose Traits.IgnoresHUP does
//
// Once ready it waits for SIGTERM, removes its pidfile and exits 0.
func runDaemon(args []string) int {
	fs := flag.NewFlagSet(DaemonCommand, flag.ContinueOnError)
	pidPath := fs.String("pidfile", "", "")
	pidOut := fs.String("pidout", "", "")
	mark := fs.String("mark", "", "")
	failMsg := fs.String("fail", "", "")
	exitCode := fs.Int("exit", -1, "")
	killSelf := fs.Bool("kill", false, "")
	hang := fs.Bool("hang", false, "")
	listen := fs.String("listen", "fake:0", "")
	child := fs.Bool("child", false, "")
	ignoreHUP := fs.Bool("ignore-hup", false, "")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	pid := os.Getpid()
	if *ignoreHUP {
		signal.Ignore(syscall.SIGHUP)
	}
	if err := appendPID(*pidOut, pid); err != nil {
		fmt.Fprintf(os.Stderr, "fake daemon: %v\n", err)
		return 2
	}
	rep, err := handshake.OpenReporter(handshake.FD)
	if err != nil {
		fmt.Fprintf(os.Stderr, "fake daemon: %v\n", err)
		return 2
	}
	_ = rep.Started(pid)
	fmt.Fprintf(os.Stderr, "fake daemon %d: starting\n", pid)

	pf, err := pidfile.Acquire(*pidPath)
	var locked *pidfile.LockedError
	switch {
	case errors.As(err, &locked):
		_ = rep.AlreadyRunning(locked.PID)
		return 3
	case err != nil:
		_ = rep.Fail(err)
		return 1
	}

	terminated := make(chan os.Signal, 1)
	signal.Notify(terminated, syscall.SIGTERM)
	if *child {
		if err := startChild(*pidOut, *mark); err != nil {
			_ = rep.Fail(err)
			return 1
		}
	}
	switch {
	case *failMsg != "":
		fmt.Fprintf(os.Stderr, "fake daemon %d: failing\n", pid)
		_ = rep.Fail(errors.New(*failMsg))
		return 1 // the pidfile stays behind, stale, as after a crash
	case *exitCode >= 0, *killSelf:
		for i := 1; i <= 12; i++ {
			fmt.Fprintf(os.Stderr, "fake daemon %d: line %d\n", pid, i)
		}
		if *killSelf {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			select {} // never reached
		}
		return *exitCode
	case *hang:
		fmt.Fprintf(os.Stderr, "fake daemon %d: hanging\n", pid)
		<-terminated
		return 1
	}
	_ = rep.Ready(*listen, 0)
	fmt.Fprintf(os.Stderr, "fake daemon %d: ready\n", pid)
	<-terminated
	if err := pf.Release(); err != nil {
		fmt.Fprintf(os.Stderr, "fake daemon %d: %v\n", pid, err)
		return 1
	}
	return 0
}

// startChild starts this binary as ChildCommand (it keeps the daemon's process group and
// session, and its stdout and stderr), and records its pid in pidOut.
func startChild(pidOut, mark string) error {
	cmd := exec.Command("/proc/self/exe", ChildCommand, "-mark", mark)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start child: %w", err)
	}
	return appendPID(pidOut, cmd.Process.Pid)
}

// runChild is the fake daemon's child: it waits for SIGTERM.
func runChild() int {
	terminated := make(chan os.Signal, 1)
	signal.Notify(terminated, syscall.SIGTERM)
	fmt.Fprintf(os.Stderr, "fake daemon's child %d: waiting\n", os.Getpid())
	<-terminated
	return 0
}

// appendPID appends pid and a newline to path.
func appendPID(path string, pid int) error {
	if path == "" {
		return errors.New("no -pidout")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(strconv.Itoa(pid) + "\n"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
