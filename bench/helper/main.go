//go:build linux

// Command helper is what bench/compare.sh and bench/soak.sh need besides the programs they
// measure, in one binary, chosen by the first argument:
//
//	helper reaper CMD [ARGS...]   run CMD as a child subreaper that reaps every orphan at
//	                              once (as systemd or tini would); exit with CMD's status
//	helper locker DIR N           make N running-looking instances in the state directory
//	                              DIR: N pidfiles, each locked by this process as a daemon
//	                              locks its own (pidfile.Acquire), and N records naming it;
//	                              print "ready" once done, and run until SIGTERM or SIGINT
//	helper records DIR N          make N stopped instances in DIR: records only
//	helper load HOST:PORT PATH GAP WINDOW
//	                              GET PATH on two keep-alive connections until SIGTERM,
//	                              never retrying; a line of counts and latencies every
//	                              WINDOW (bench/soak.sh)
//	helper notifier               the notifier (bench/notifier.c), in Go, for machines
//	                              without a C compiler; also when run as "notifier"
//
// It is never timed itself, except as the notifier fallback, which compare.sh labels.
package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/pidfile"
)

func main() {
	if filepath.Base(os.Args[0]) == "notifier" { // copied under that name: compare.sh's fallback
		notifier()
		return
	}
	if len(os.Args) < 2 {
		fail("usage: helper reaper|locker|records|load|notifier ...")
	}
	switch os.Args[1] {
	case "reaper":
		reaper(os.Args[2:])
	case "locker":
		dir, n := dirAndCount(os.Args[2:])
		locker(dir, n)
	case "records":
		dir, n := dirAndCount(os.Args[2:])
		records(dir, n)
	case "load":
		load(os.Args[2:])
	case "notifier":
		notifier()
	default:
		fail("unknown mode " + os.Args[1])
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "helper:", msg)
	os.Exit(2)
}

func dirAndCount(args []string) (string, int) {
	if len(args) != 2 {
		fail("want DIR N")
	}
	n, err := strconv.Atoi(args[1])
	if err != nil || n < 1 {
		fail("N must be a positive integer")
	}
	return args[0], n
}

const prSetChildSubreaper = 36

// reaper runs args as a child subreaper: orphans below it are reparented to it and reaped
// at once. It forwards SIGINT, SIGTERM and SIGHUP to the command and exits with its status.
func reaper(args []string) {
	if len(args) == 0 {
		fail("reaper: no command")
	}
	if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); e != 0 {
		fail("reaper: prctl(PR_SET_CHILD_SUBREAPER): " + e.Error())
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		fail("reaper: " + err.Error())
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	pid, err := syscall.ForkExec(path, args, &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{0, 1, 2}})
	if err != nil {
		fail("reaper: start " + path + ": " + err.Error())
	}
	go func() {
		for s := range sigs {
			_ = syscall.Kill(pid, s.(syscall.Signal))
		}
	}()
	for {
		var ws syscall.WaitStatus
		wpid, err := syscall.Wait4(-1, &ws, 0, nil)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			fail("reaper: wait: " + err.Error())
		case wpid != pid:
			continue // an orphan, reaped
		case ws.Signaled():
			os.Exit(128 + int(ws.Signal()))
		default:
			os.Exit(ws.ExitStatus())
		}
	}
}

// locker makes n instances that list sees running: each pidfile is held by this process
// exactly as a daemon holds its own, and each record names this process, with its start
// time, as a daemon's does.
func locker(dir string, n int) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fail(err.Error())
	}
	pid := os.Getpid()
	start := instance.StartTime(pid)
	held := make([]*pidfile.File, 0, n)
	for i := range n {
		name := fmt.Sprintf("inst-%04d", i)
		f, err := pidfile.Acquire(filepath.Join(dir, name+".pid"))
		if err != nil {
			fail(fmt.Sprintf("locker: %v (raise ulimit -n?)", err))
		}
		held = append(held, f)
		writeRecord(dir, name, instance.Record{PID: pid, StartTime: start, State: instance.StateRunning})
	}
	fmt.Println("ready")
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	<-sigs
	for _, f := range held {
		_ = f.Release()
	}
}

// records makes n stopped instances: a record each, no pidfile.
func records(dir string, n int) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fail(err.Error())
	}
	for i := range n {
		writeRecord(dir, fmt.Sprintf("inst-%04d", i), instance.Record{
			PID: 100000 + i, State: instance.StateStopped, LastExit: "stopped",
			StoppedAt: time.Now().UTC(),
		})
	}
}

// writeRecord fills in what every record says and writes it as a daemon would.
func writeRecord(dir, name string, r instance.Record) {
	r.Name = name
	r.Strategy = "setsid"
	r.StartedAt = time.Now().UTC().Add(-time.Hour)
	r.Log = filepath.Join(dir, name+".log")
	r.PIDFile = filepath.Join(dir, name+".pid")
	r.Program = "daemonkit"
	r.Command = []string{"sleep", "1000"}
	if err := instance.WriteRecord(filepath.Join(dir, name+".json"), r); err != nil {
		fail(err.Error())
	}
}

// notifier is bench/notifier.c in Go.
func notifier() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	if path := os.Getenv("NOTIFY_SOCKET"); path != "" {
		if strings.HasPrefix(path, "@") {
			path = "\x00" + path[1:]
		}
		conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
		if err != nil {
			os.Exit(1)
		}
		if _, err := conn.Write([]byte("READY=1")); err != nil {
			os.Exit(1)
		}
		conn.Close()
	}
	<-sigs
}
