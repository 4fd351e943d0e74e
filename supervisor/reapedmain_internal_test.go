package supervisor

import (
	"os"
	"syscall"
	"testing"
)

// The loop reads a copy's end some time after the reaper reaped it; until then main still
// names its pid, which may be a stranger's by then. A reload, a forwarded signal or a stop
// in between must not be sent to that pid: the reaper, which reaps under the same lock it
// is signalled under, tells that the child is gone.
func TestSignalAfterReapSendsNothing(t *testing.T) {
	rp := newReaper(nil)
	defer rp.close()
	pid, exited, err := rp.start("/bin/sh", []string{"sh", "-c", "exit 0"}, &os.ProcAttr{Files: []*os.File{nil, nil, nil}})
	if err != nil {
		t.Fatal(err)
	}
	<-exited // reaped: its pid is free, and main still names it (the loop has not read the end)

	var sent []int
	old := killPID
	killPID = func(pid int, sig syscall.Signal) error {
		sent = append(sent, pid)
		return nil // as a stranger given the pid would take it
	}
	defer func() { killPID = old }()

	s := &Supervisor{cfg: Config{ReloadSignal: syscall.SIGHUP}}
	s.main, s.exited, s.reaper = pid, exited, rp
	if s.signal(syscall.SIGUSR2) {
		t.Error("signal reported a reaped child signalled")
	}
	if s.sendReload() {
		t.Error("a reload reported sent to a reaped child")
	}
	if len(sent) > 0 {
		t.Errorf("signals went to pid %v, reaped (free to be another's): want none", sent)
	}
}

// A copy's end read after the reaper reaped it (stopAll's select took the stop, killCopy and
// drain looked just before the reap) must not make its pid be signalled: kill sends to a
// child only while it is not reaped, and a live one is signalled.
func TestReaperKillOnlyUnreaped(t *testing.T) {
	rp := newReaper(nil)
	defer rp.close()
	attr := &os.ProcAttr{Files: []*os.File{nil, nil, nil}}
	pid, exited, err := rp.start("/bin/sh", []string{"sh", "-c", "exec sleep 60"}, attr)
	if err != nil {
		t.Fatal(err)
	}
	if !rp.kill(pid, exited, syscall.SIGKILL) {
		t.Fatalf("kill of a live child (pid %d) not sent", pid)
	}
	<-exited
	var sent []int
	old := killPID
	killPID = func(pid int, sig syscall.Signal) error { sent = append(sent, pid); return nil }
	defer func() { killPID = old }()
	if rp.kill(pid, exited, syscall.SIGTERM) || len(sent) > 0 {
		t.Errorf("kill of a reaped child (pid %d) sent to %v: want nothing sent", pid, sent)
	}
}

// Once a copy is reaped, the kernel may give its pid to a child the reaper starts or
// watches afterwards (a check's shell, a restart's copy, an adopted daemon), which the
// reaper then waits for under that same pid. A late signal meant for the copy that ended
// (main still naming it, a drain, a reload) must not reach the new child: kill sends only
// to the child whose registration it is given.
func TestSignalToAPidGivenToAChildSinceSendsNothing(t *testing.T) {
	rp := newReaper(nil)
	defer rp.close()
	pid, exited, err := rp.start("/bin/sh", []string{"sh", "-c", "exit 0"}, &os.ProcAttr{Files: []*os.File{nil, nil, nil}})
	if err != nil {
		t.Fatal(err)
	}
	<-exited // reaped: main still names it (the loop has not read the end)
	// The kernel gave pid to a child registered since: watch registers it as start does.
	next := rp.watch(pid)
	defer rp.unwatch(pid)

	var sent []int
	old := killPID
	killPID = func(pid int, sig syscall.Signal) error { sent = append(sent, pid); return nil }
	defer func() { killPID = old }()

	s := &Supervisor{cfg: Config{ReloadSignal: syscall.SIGHUP}}
	s.main, s.exited, s.reaper = pid, exited, rp
	if s.signal(syscall.SIGUSR2) {
		t.Error("a forwarded signal meant for the reaped copy reported sent")
	}
	if s.sendReload() {
		t.Error("a reload meant for the reaped copy reported sent")
	}
	if rp.kill(pid, exited, syscall.SIGTERM) {
		t.Error("a stop signal meant for the reaped copy reported sent")
	}
	if len(sent) > 0 {
		t.Fatalf("signals meant for a reaped copy went to pid %v, a child registered since: want none", sent)
	}
	if !rp.kill(pid, next, syscall.SIGTERM) || len(sent) != 1 {
		t.Errorf("the child registered since, signalled by its own registration: sent to %v, want pid %d", sent, pid)
	}
}
