//go:build linux

package scripttest

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// catchSigMain is the `catchsig [-linger D] FILE SIG...` program: it catches the signals
// named (INT, USR1, ...), writes "ready" to FILE once it does, then appends each one's name
// (SIGINT) to FILE as it receives it, every one (a second of the same kind is not lost to
// the first's handling). The first INT, QUIT or TERM ends it, -linger later (exit 0): the
// signals that come meanwhile are written down too.
func catchSigMain() {
	linger := flag.Duration("linger", 0, "")
	flag.Parse()
	if flag.NArg() < 2 {
		fmt.Fprintln(os.Stderr, "usage: catchsig [-linger D] FILE SIG...")
		os.Exit(2)
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
	caught := make(chan os.Signal, 16)
	signal.Notify(caught, sigs...)
	write := func(line string) {
		_, _ = f.WriteString(line + "\n")
		_ = f.Sync()
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
		case <-end:
			os.Exit(0)
		}
	}
}
