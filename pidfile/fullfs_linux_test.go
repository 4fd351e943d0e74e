package pidfile

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func init() { helperModes["fullfs"] = runFullFSHelper }

// runFullFSHelper runs in a private mount namespace. It mounts a 64 KiB tmpfs on dir,
// prepares d.pid there as scenario says, fills the file system to the last byte, runs the
// scenario and prints one line: "ok", "skip REASON" or "fail REASON".
func runFullFSHelper(dir, scenario string) int {
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		fmt.Printf("skip mount tmpfs: %v\n", err)
		return 0
	}
	path := filepath.Join(dir, "d.pid")
	before, action, _ := strings.Cut(scenario, ":")
	switch before {
	case "none":
	case "empty":
		err := os.WriteFile(path, nil, 0o644)
		if err != nil {
			fmt.Printf("fail %v\n", err)
			return 1
		}
	default:
		err := os.WriteFile(path, []byte(before+"\n"), 0o644)
		if err != nil {
			fmt.Printf("fail %v\n", err)
			return 1
		}
	}
	if err := fill(dir); err != nil {
		fmt.Printf("fail %v\n", err)
		return 1
	}
	if msg := fullFSScenario(path, action); msg != "" {
		fmt.Printf("fail %s\n", msg)
		return 1
	}
	fmt.Println("ok")
	return 0
}

// fill writes a file in dir until the file system is full to the last byte, and checks
// that a new file can then hold no byte at all.
func fill(dir string) error {
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		return err
	}
	defer f.Close()
	for _, chunk := range []int{4096, 1} {
		for {
			if _, err := f.Write(make([]byte, chunk)); err != nil {
				if !errors.Is(err, unix.ENOSPC) {
					return err
				}
				break
			}
		}
	}
	probe := filepath.Join(dir, "probe")
	err = os.WriteFile(probe, []byte("x"), 0o644)
	_ = os.Remove(probe)
	if !errors.Is(err, unix.ENOSPC) {
		return fmt.Errorf("file system not full: writing one byte: %v", err)
	}
	return nil
}

// fullFSScenario runs action on the full file system and returns what went wrong, if
// anything.
func fullFSScenario(path, action string) string {
	exists := func() bool { _, err := os.Lstat(path); return err == nil }
	switch action {
	case "remove":
		removed, err := RemoveStale(path)
		if !removed || err != nil {
			return fmt.Sprintf("RemoveStale = %v, %v; want removed", removed, err)
		}
		if exists() {
			return "the stale file is still there"
		}
	case "acquire-fails":
		f, err := Acquire(path)
		if err == nil {
			_ = f.Release()
			return "Acquire succeeded on a full file system"
		}
		if !strings.Contains(err.Error(), "no space left on device") || !strings.Contains(err.Error(), path) {
			return fmt.Sprintf("Acquire = %v; want it to say no space left on device", err)
		}
		if exists() {
			return fmt.Sprintf("Acquire failed (%v) but left %s behind", err, path)
		}
	case "acquire-takes-over":
		f, err := Acquire(path)
		if err != nil {
			return fmt.Sprintf("Acquire over a stale pidfile = %v; want it rewritten in place", err)
		}
		s, err := Probe(path)
		if err != nil || s.State != Running || s.PID != os.Getpid() || s.FilePID != os.Getpid() {
			return fmt.Sprintf("Probe = %+v, %v", s, err)
		}
		if err := f.Release(); err != nil || exists() {
			return fmt.Sprintf("Release = %v; file left: %v", err, exists())
		}
	default:
		return "unknown action " + action
	}
	return ""
}

// runOnFullFS runs a fullfs helper for scenario in a new mount namespace, and fails or
// skips the test as it reports.
func runOnFullFS(t *testing.T, scenario string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs in a private mount namespace")
	}
	h, err := spawnHelper(t, "fullfs", t.TempDir(), scenario, nil, func(c *exec.Cmd) {
		c.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS} // and makes / private
	})
	if err != nil {
		t.Skipf("cannot start a process in a new mount namespace: %v", err)
	}
	switch l := h.line(t); {
	case l == "ok":
	case strings.HasPrefix(l, "skip "):
		t.Skip(l[len("skip "):])
	default:
		t.Fatalf("%s: %s", scenario, l)
	}
}

// TestRemoveStaleOnFullFS: a cleaner never writes, so it removes a stale pidfile, empty or
// not, on a file system full to the last byte.
func TestRemoveStaleOnFullFS(t *testing.T) {
	for _, before := range []string{"empty", "12345"} {
		t.Run(before, func(t *testing.T) { runOnFullFS(t, before+":remove") })
	}
}

// TestFailedAcquireLeavesNothing: on a full file system, Acquire cannot write its pid into
// the file it created (or found empty); it fails saying why and leaves no file behind.
func TestFailedAcquireLeavesNothing(t *testing.T) {
	for _, before := range []string{"none", "empty"} {
		t.Run(before, func(t *testing.T) { runOnFullFS(t, before+":acquire-fails") })
	}
}

// TestAcquireRewritesInPlaceOnFullFS: a stale pidfile at least as long as the new content
// is rewritten in place, so a restart works even on a full file system.
func TestAcquireRewritesInPlaceOnFullFS(t *testing.T) {
	runOnFullFS(t, strconv.Itoa(99999999)+":acquire-takes-over")
}
