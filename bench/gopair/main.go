//go:build linux

// Command gopair is the least a Go `start -d` can be: one Go process that starts another in
// a new session, with /dev/null for its standard streams, and returns once that one says it
// is ready, over a pipe. The second then runs until a signal ends it. bench/compare.sh times
// it against start-stop-daemon beside `daemonkit start -d`, as the floor that any launcher
// built of two Go processes stands on, on the machine it runs on.
//
//	gopair PIDFILE   start the daemon, write its pid to PIDFILE, exit 0 once it is ready
//
// It uses only what the standard library's os and syscall give, so that its processes cost
// what the Go runtime costs and little more.
package main

import (
	"os"
	"strconv"
	"syscall"
	"time"
)

// daemonArg marks the second process.
const daemonArg = "-daemon"

func main() {
	if len(os.Args) == 2 && os.Args[1] == daemonArg {
		daemon()
		return
	}
	if len(os.Args) != 2 {
		fail("usage: gopair PIDFILE")
	}
	start(os.Args[1])
}

// start starts the daemon and waits for its ready byte.
func start(pidfile string) {
	r, w, err := os.Pipe()
	if err != nil {
		fail(err.Error())
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fail(err.Error())
	}
	exe, err := os.Executable()
	if err != nil {
		fail(err.Error())
	}
	p, err := os.StartProcess(exe, []string{exe, daemonArg}, &os.ProcAttr{
		Dir:   "/",
		Files: []*os.File{null, null, null, w},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		fail(err.Error())
	}
	w.Close()
	if err := os.WriteFile(pidfile, []byte(strconv.Itoa(p.Pid)+"\n"), 0o644); err != nil {
		fail(err.Error())
	}
	if n, _ := r.Read(make([]byte, 1)); n != 1 {
		fail("the daemon exited before it was ready")
	}
}

// daemon says it is ready and runs until a signal ends it (SIGTERM's default action).
func daemon() {
	ready := os.NewFile(3, "ready")
	if _, err := ready.Write([]byte{'R'}); err != nil {
		os.Exit(1)
	}
	ready.Close()
	for {
		time.Sleep(time.Hour)
	}
}

func fail(msg string) {
	os.Stderr.WriteString("gopair: " + msg + "\n")
	os.Exit(2)
}
