package supervisor

import (
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/internal/proc"
)

// A pid the reaper no longer waits for (it reaped the child) may be a stranger's by the
// time main, still naming it, is signalled: a forwarded signal and a reload must reach no
// process at all, by whatever means they are sent. The stranger here blocks every signal,
// so that one sent stays pending where /proc shows it; unlike a killPID replaced
// (TestSignalAfterReapSendsNothing), it sees a signal sent past the reaper too.
func TestSignalToAReapedPidReachesNoStranger(t *testing.T) {
	rp := newReaper(nil)
	defer rp.close()
	stranger, err := startWitness() // cat, every signal blocked; the reaper never waited for it
	if err != nil {
		t.Fatal("no stand-in stranger: ", err)
	}
	defer stranger.stop()
	pid := stranger.h.PID()
	pending := func() uint64 {
		t.Helper()
		m, err := proc.SignalMask(proc.StatusPath(pid), "ShdPnd")
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := pending(); m != 0 {
		t.Fatalf("the stranger (pid %d) has signals pending before the test: %#x", pid, m)
	}

	s := &Supervisor{cfg: Config{ReloadSignal: syscall.SIGHUP}}
	s.main, s.reaper = pid, rp // main names a pid reaped, now the stranger's
	if s.signal(syscall.SIGUSR2) {
		t.Error("a forwarded signal reported sent to a pid the reaper does not wait for")
	}
	if s.sendReload() {
		t.Error("a reload reported sent to a pid the reaper does not wait for")
	}
	if m := pending(); m != 0 {
		t.Errorf("the stranger given a reaped child's pid (%d) was sent signals (pending: %#x): want none", pid, m)
	}

	// The stranger would have shown one: kill(2) queues a signal before it returns.
	if err := syscall.Kill(pid, syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if m := pending(); m&(1<<(syscall.SIGUSR1-1)) == 0 {
		t.Fatalf("a signal sent to the stranger does not show pending (%#x): the test sees nothing", m)
	}
}
