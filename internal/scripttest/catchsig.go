//go:build linux

package scripttest

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// catchSigMain is the `catchsig [-linger D] [-pidfile PATH] FILE SIG...` program: it
// catches the signals named (INT, USR1, ...), writes "ready" to FILE once it does, then
// appends each one's name (SIGINT) to FILE as it receives it, every one (a second of the
// same kind is not lost to the first's handling). The first INT, QUIT or TERM ends it,
// -linger later (exit 0): the signals that come meanwhile are written down too.
//
// With -pidfile it daemonizes itself and upgrades itself as nginx does: its first process
// starts the daemon, a copy of itself in a session of its own, away from its output, and
// exits 0; the daemon writes its pid to PATH before "ready". At USR2 the daemon moves PATH
// to PATH.oldbin and starts a new copy of itself, its child, which writes PATH anew: QUIT
// to the old one then ends it, and the new one serves on.
func catchSigMain() {
	linger := flag.Duration("linger", 0, "")
	pidPath := flag.String("pidfile", "", "")
	daemon := flag.Bool("daemon", false, "") // with -pidfile: this is the daemon, not the first process
	flag.Parse()
	if flag.NArg() < 2 {
		fmt.Fprintln(os.Stderr, "usage: catchsig [-linger D] [-pidfile PATH] FILE SIG...")
		os.Exit(2)
	}
	copyArgs := append([]string{"-linger", linger.String(), "-pidfile", *pidPath, "-daemon"}, flag.Args()...)
	if *pidPath != "" && !*daemon {
		if err := startCopy(copyArgs, true); err != nil {
			fmt.Fprintln(os.Stderr, "catchsig:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	f, err := os.OpenFile(flag.Arg(0), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "catchsig:", err)
		os.Exit(1)
	}
	var sigs []os.Signal
	for _, name := range flag.Args()[1:] {
		sig := unix.SignalNum("SIG" + name)
		if sig == 0 {
			fmt.Fprintln(os.Stderr, "catchsig: no signal", name)
			os.Exit(2)
		}
		sigs = append(sigs, sig)
	}
	if *daemon {
		sigs = append(sigs, syscall.SIGUSR2)
	}
	caught := make(chan os.Signal, 16)
	signal.Notify(caught, sigs...)
	write := func(line string) {
		_, _ = f.WriteString(line + "\n")
		_ = f.Sync()
	}
	if *daemon {
		if err := writeOwnPID(*pidPath); err != nil {
			write("catchsig: " + err.Error())
			os.Exit(1)
		}
	}
	write("ready")
	var end <-chan time.Time
	for {
		select {
		case s := <-caught:
			sig := s.(syscall.Signal)
			write(unix.SignalName(sig))
			if end == nil && (sig == syscall.SIGINT || sig == syscall.SIGQUIT || sig == syscall.SIGTERM) {
				end = time.After(*linger)
			}
			if *daemon && sig == syscall.SIGUSR2 {
				if err := upgrade(*pidPath, copyArgs); err != nil {
					write("catchsig: upgrade: " + err.Error())
				}
			}
		case <-end:
			os.Exit(0)
		}
	}
}

// upgrade is nginx's binary upgrade: PATH moves to PATH.oldbin, and a new copy of this
// program starts, as a child of this one, and writes PATH.
func upgrade(path string, args []string) error {
	if err := os.Rename(path, path+".oldbin"); err != nil {
		return err
	}
	return startCopy(args, false)
}

// startCopy starts this program again with args, its input and output /dev/null, in a
// session of its own if setsid, and does not wait for it.
func startCopy(args []string, setsid bool) error {
	cmd := exec.Command(os.Args[0], args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: setsid}
	return cmd.Start()
}

// writeOwnPID writes this process's pid to path, whole: through a file beside it, renamed.
func writeOwnPID(path string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
