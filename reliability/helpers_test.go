//go:build linux

package reliability_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// helperMains are the small programs the tests need, each the test binary run under the
// helper's name (TestMain links the names beside the daemonkit binary). Each returns its
// exit code.
var helperMains = map[string]func(args []string) int{
	"sentinel":  sentinelMain,
	"notifier":  notifierMain,
	"flash":     flashMain,
	"hupper":    hupperMain,
	"nonreaper": nonreaperMain,
	"listener":  listenerMain,
}

// listenerMain is `listener ADDR`: it listens on the TCP address ADDR (with SO_REUSEPORT,
// so that an upgrade's new copy listens beside the old one), accepts and closes every
// connection, takes SIGHUP in its stride, and exits 0 on SIGTERM or SIGINT.
func listenerMain(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: listener ADDR")
		return 2
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	l, err := lc.Listen(context.Background(), "tcp", args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "listener:", err)
		return 1
	}
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			_ = conn.Close()
		}
	}()
	<-stop
	return 0
}

// sentinelMain is `sentinel FILE`: a process that must never be signalled. It catches
// every signal that can be caught and appends the name of each it receives to FILE, after
// a first line "ready" once it catches them all. SIGURG is left out: the Go runtime sends
// it to its own threads to preempt goroutines. (SIGKILL and SIGSTOP cannot be caught: a
// test sees them as the sentinel dead or stopped.)
func sentinelMain(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: sentinel FILE")
		return 2
	}
	f, err := os.OpenFile(args[0], os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs) // every signal
	if _, err := f.WriteString("ready\n"); err != nil {
		return 1
	}
	for s := range sigs {
		if s == syscall.SIGURG {
			continue
		}
		_, _ = f.WriteString(signalName(s) + "\n")
		_ = f.Sync()
	}
	return 0
}

// notifyReady sends READY=1 to $NOTIFY_SOCKET, if it is set.
func notifyReady() error { return notifyReadyWith("") }

// notifyReadyWith sends READY=1 and the lines of extra, if any, to $NOTIFY_SOCKET, if it
// is set.
func notifyReadyWith(extra string) error {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return nil
	}
	if strings.HasPrefix(path, "@") {
		path = "\x00" + path[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.Write([]byte("READY=1" + extra))
	return err
}

// notifierMain is `notifier [-delay D]`: after D, READY=1 over sd_notify; then it runs
// until SIGTERM or SIGINT and exits 0.
func notifierMain(args []string) int {
	fs := flag.NewFlagSet("notifier", flag.ContinueOnError)
	delay := fs.Duration("delay", 0, "how long to take to get ready")
	if fs.Parse(args) != nil {
		return 2
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-time.After(*delay): // the program's start-up, as slow as asked
	case <-stop:
		return 0
	}
	if err := notifyReady(); err != nil {
		fmt.Fprintln(os.Stderr, "notifier:", err)
		return 1
	}
	<-stop
	return 0
}

// flashMain is `flash [-hold D] [-mainpid]`: READY=1 over sd_notify (with MAINPID= its own
// pid, with -mainpid), then it exits 0 after D: a program that a supervisor with --restart
// always starts again and again.
func flashMain(args []string) int {
	fs := flag.NewFlagSet("flash", flag.ContinueOnError)
	hold := fs.Duration("hold", 20*time.Millisecond, "how long to run after READY=1")
	mainpid := fs.Bool("mainpid", false, "name itself the main process")
	if fs.Parse(args) != nil {
		return 2
	}
	extra := ""
	if *mainpid {
		extra = fmt.Sprintf("\nMAINPID=%d", os.Getpid())
	}
	if err := notifyReadyWith(extra); err != nil {
		fmt.Fprintln(os.Stderr, "flash:", err)
		return 1
	}
	time.Sleep(*hold) // the program's own life, not a wait in a test
	return 0
}

// hupperMain is `hupper`: READY=1 over sd_notify if asked, then it runs until SIGTERM or
// SIGINT, taking every SIGHUP (a reload) in its stride: it catches SIGHUP (one that
// ignored it could not be reloaded, and reload would refuse it).
func hupperMain([]string) int {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
		}
	}()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	if err := notifyReady(); err != nil {
		fmt.Fprintln(os.Stderr, "hupper:", err)
		return 1
	}
	<-stop
	return 0
}

// nonreaperMain is `nonreaper INSTANCE CMD [ARGS...]`: a parent that never reaps its
// orphans, as PID 1 in many containers. It becomes a child subreaper (so a daemon that CMD
// detaches is reparented to it, whatever the strategy), runs CMD with instanceEnv set to
// INSTANCE, waits for CMD alone, prints "exit N", and then waits for SIGTERM without ever
// reaping anything: a daemon that exits below it stays a zombie. On SIGTERM it reaps what
// has exited, and exits.
func nonreaperMain(args []string) int {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: nonreaper INSTANCE CMD [ARGS...]")
		return 2
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM)
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "nonreaper:", err)
		return 1
	}
	cmd := exec.Command(args[1], args[2:]...)
	cmd.Env = append(os.Environ(), instanceEnv+"="+args[0])
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	code := 0
	if err := cmd.Run(); err != nil { // waits for this child alone (its pidfd)
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			fmt.Fprintln(os.Stderr, "nonreaper:", err)
			return 1
		}
		code = ee.ExitCode()
	}
	fmt.Printf("exit %d\n", code)
	<-stop
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return 0
		}
	}
}
