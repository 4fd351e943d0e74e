package notify

import (
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestSystemdNotify runs the real `systemd-notify --ready` from a shell script, the program
// being the shell. It checks that READY=1 is received from a descendant of the shell, that
// the BARRIER=1 that follows is released (systemd-notify exits 0, where it fails after 5
// seconds if its pipe is never closed), and that the script then goes on and exits.
func TestSystemdNotify(t *testing.T) {
	if _, err := exec.LookPath("systemd-notify"); err != nil {
		t.Skipf("needs systemd-notify (Debian: apt-get install systemd): %v", err)
	}
	s := listen(t)
	s.OnReject = func(pid int, reason string) { t.Errorf("rejected a datagram of pid %d: %s", pid, reason) }
	cmd := exec.Command("sh", "-c", "systemd-notify --ready; echo done $?")
	cmd.Env = testutil.Environ("NOTIFY_SOCKET=" + s.Path())
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kill(cmd) })
	s.Accept = Descendant(cmd.Process.Pid)

	// As root, systemd-notify names its parent (the shell) as the sender of READY=1;
	// otherwise itself. Either descends from the shell.
	if m := receive(t, s); !m.Ready {
		t.Fatalf("first message %+v, want READY=1", m)
	}
	if m := receive(t, s); !m.Barrier {
		t.Fatalf("second message %+v, want BARRIER=1", m)
	} else {
		t.Logf("barrier from pid %d, the shell is %d", m.PID, cmd.Process.Pid)
	}
	printed := make(chan string, 1)
	go func() { b, _ := io.ReadAll(out); printed <- string(b) }()
	select {
	case got := <-printed:
		if got != "done 0\n" {
			t.Errorf("the script printed %q, want %q: systemd-notify failed", got, "done 0\n")
		}
	case <-time.After(testutil.Deadline):
		t.Fatal("the script did not finish: systemd-notify is stuck on its barrier")
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("the script: %v", err)
	}
}
