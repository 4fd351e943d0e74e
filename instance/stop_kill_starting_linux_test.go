package instance

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStopKillStartingOwnStart: a caller that holds the instance's start lock itself
// (StopOptions.OwnStart, as restart does) and stops with SIGKILL a daemon still starting
// gets the record of a start called off written, and does not wait for a start to end
// that is its own: its stop returns once the daemon is gone.
func TestStopKillStartingOwnStart(t *testing.T) {
	p := testPaths(t, "web")
	s, err := BeginStart(context.Background(), p, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Done()
	t.Setenv(InvocationEnv, "run-2") // the daemon's, as a start launches it
	d := startDaemon(t, stubborn, p.PIDFile, false)
	begin := time.Now()
	res, err := Stop(context.Background(), p, StopOptions{Signal: syscall.SIGKILL, OwnStart: true})
	if err != nil || !res.WasRunning || res.PID != d.pid {
		t.Fatalf("Stop = %+v, %v; want daemon %d stopped", res, err, d.pid)
	}
	if took := time.Since(begin); took >= startEndWait {
		t.Fatalf("Stop took %v: it waited for its caller's own start to end", took)
	}
	_ = d.cmd.Wait() // killed: its exit status is the SIGKILL's
	d.reaped = true
	if got, err := ReadRecord(p.Record); err != nil || !got.CalledOffStart() || got.PID != d.pid {
		t.Fatalf("record = %+v, %v; want the start called off, of pid %d", got, err, d.pid)
	}
}

// TestStopKillStartingRanBefore: stop --signal KILL of a daemon still starting, of an
// instance that ran before, while a start other than the caller's holds its start lock
// (one suspended by Ctrl-Z, say): the record keeps the earlier run's program, so there is
// no record of a run that never was to remove once that start ends, and the stop does not
// wait for it to end.
func TestStopKillStartingRanBefore(t *testing.T) {
	p := testPaths(t, "web")
	if err := WriteRecord(p.Record, Record{Name: "web", PIDFile: p.PIDFile, Program: "/usr/bin/app", State: StateStopped}); err != nil {
		t.Fatal(err)
	}
	s, err := BeginStart(context.Background(), p, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Done()
	t.Setenv(InvocationEnv, "run-2")
	d := startDaemon(t, stubborn, p.PIDFile, false)
	begin := time.Now()
	res, err := Stop(context.Background(), p, StopOptions{Signal: syscall.SIGKILL})
	if err != nil || !res.WasRunning || res.PID != d.pid {
		t.Fatalf("Stop = %+v, %v; want daemon %d stopped", res, err, d.pid)
	}
	if took := time.Since(begin); took >= startEndWait {
		t.Fatalf("Stop took %v: it waited for a start to end though there was no record to remove", took)
	}
	_ = d.cmd.Wait()
	d.reaped = true
	if got, err := ReadRecord(p.Record); err != nil || !got.CalledOffStart() || got.Program != "/usr/bin/app" {
		t.Fatalf("record = %+v, %v; want the start called off, with the earlier run's program", got, err)
	}
}

// TestInheritedMarkIntermediate: a daemon whose parent carries its run's mark has
// inherited it, unless that parent is one the start under way launched with it (the
// reexec strategy's intermediate, which forked the daemon and had not exited yet on a
// loaded machine): its stop then wrote no record of the start called off, and the start
// said its daemon had died, not that a stop called it off.
func TestInheritedMarkIntermediate(t *testing.T) {
	const mark = "run-intermediate"
	cmd := exec.Command("/bin/sh", "-c", "sleep 600 & echo $!; wait")
	cmd.Env = append(os.Environ(), InvocationEnv+"="+mark) // as start launches the intermediate
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	daemon, _ := strconv.Atoi(strings.TrimSpace(line))
	t.Cleanup(func() {
		if daemon > 0 {
			_ = syscall.Kill(daemon, syscall.SIGKILL)
		}
		_ = cmd.Wait()
	})
	if err != nil || daemon <= 0 {
		t.Fatalf("the daemon's pid: %q, %v", line, err)
	}
	if inheritedMark(daemon, mark, os.Getpid()) {
		t.Error("a daemon forked by the intermediate the start launched was taken for one that inherited the mark")
	}
	if !inheritedMark(daemon, mark, 1) {
		t.Error("a daemon whose marked parent no start under way launched was not taken for one that inherited the mark")
	}
}
