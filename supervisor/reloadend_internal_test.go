package supervisor

import (
	"strings"
	"syscall"
	"testing"
)

// TestEndedOfReload: a process counts as ended of the reload only if it is the one last sent
// the reload signal and that very signal killed it; the mark is used up by the first end
// read, so that a later process given the same pid is not taken for it.
func TestEndedOfReload(t *testing.T) {
	killedBy := func(sig syscall.Signal) syscall.WaitStatus { return syscall.WaitStatus(sig) }
	exited := syscall.WaitStatus(1 << 8)
	cases := []struct {
		name     string
		reloaded int // the pid marked as sent the reload signal
		sig      syscall.Signal
		pid      int
		ws       syscall.WaitStatus
		want     bool
	}{
		{"killed by the reload signal sent to it", 42, syscall.SIGHUP, 42, killedBy(syscall.SIGHUP), true},
		{"killed by its own reload signal", 42, syscall.SIGUSR1, 42, killedBy(syscall.SIGUSR1), true},
		{"killed by another signal", 42, syscall.SIGHUP, 42, killedBy(syscall.SIGTERM), false},
		{"exited", 42, syscall.SIGHUP, 42, exited, false},
		{"HUP, but its reload signal is USR1", 42, syscall.SIGUSR1, 42, killedBy(syscall.SIGHUP), false},
		{"another process", 42, syscall.SIGHUP, 43, killedBy(syscall.SIGHUP), false},
		{"none sent", 0, syscall.SIGHUP, 42, killedBy(syscall.SIGHUP), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &Supervisor{cfg: Config{ReloadSignal: c.sig}, reloaded: c.reloaded}
			if got := s.endedOfReload(c.pid, c.ws); got != c.want {
				t.Fatalf("endedOfReload(%d, %s) = %v, want %v", c.pid, describe(c.ws), got, c.want)
			}
		})
	}
	s := &Supervisor{cfg: Config{ReloadSignal: syscall.SIGHUP}, reloaded: 42}
	if !s.endedOfReload(42, killedBy(syscall.SIGHUP)) {
		t.Fatal("the first end of pid 42, killed by SIGHUP sent to it: not read as ended of the reload")
	}
	if s.endedOfReload(42, killedBy(syscall.SIGHUP)) {
		t.Fatal("a second process with pid 42, never sent the reload: read as ended of it")
	}
}

// TestExitErrorOfReload: the error of a program that died of the reload says why, and the fix.
func TestExitErrorOfReload(t *testing.T) {
	err := &ExitError{Status: syscall.WaitStatus(syscall.SIGHUP), OfReload: true}
	want := "program killed by signal 1 (SIGHUP), the reload signal passed on to it: it does not handle it (a Go program must signal.Notify it); not reloaded"
	if got := err.Error(); got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	plain := (&ExitError{Status: syscall.WaitStatus(syscall.SIGHUP)}).Error()
	if strings.Contains(plain, "reload") {
		t.Fatalf("Error() of a program not sent the reload = %q: it names the reload", plain)
	}
}
