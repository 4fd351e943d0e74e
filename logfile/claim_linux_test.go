package logfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// A claim refuses a check of the log, goes beside another claim of it (daemons given one
// log on purpose), names its holder, and is the claimer's alone: a child that has the log as its stdout and stderr, as a daemon's
// program does, holds none once the claimer gives it up.
func TestClaimLogRefusesOthersNotInherited(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.log")
	fd := openFD(t, path)
	c, err := ClaimLog(path, fd)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	if err := CheckUnclaimed(path); !errors.Is(err, ErrClaimed) {
		t.Fatalf("CheckUnclaimed of a claimed log: %v, want ErrClaimed", err)
	}
	second, err := ClaimLog(path, fd)
	if err != nil {
		t.Fatalf("a second ClaimLog: %v, want it beside the first", err)
	}
	second.Release()
	if err := CheckUnclaimed(path); !errors.Is(err, ErrClaimed) {
		t.Fatalf("CheckUnclaimed once the second claim is given up, the first held: %v, want ErrClaimed", err)
	}
	if pid := ClaimHolder(path); pid != os.Getpid() {
		t.Errorf("ClaimHolder: %d, want %d", pid, os.Getpid())
	}
	out, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	h := startHelper(t, out, "redirect", path)
	out.Close()
	h.expect(t, "ready")
	c.Release()
	if err := CheckUnclaimed(path); err != nil {
		t.Fatalf("CheckUnclaimed once released, a child writing it still: %v, want nil", err)
	}
}

// After a reopen, the claim is on the new file at the path; the moved one is free. A
// reopen of the same file keeps it.
func TestClaimMoveFollowsReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.log")
	c, err := ClaimLog(path, openFD(t, path))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	fd := openFD(t, path)
	for range 2 { // the second: the same file again
		if err := c.Move(path, fd); err != nil {
			t.Fatal(err)
		}
		if err := CheckUnclaimed(path); !errors.Is(err, ErrClaimed) {
			t.Fatalf("the new file: %v, want ErrClaimed", err)
		}
	}
	if err := CheckUnclaimed(path + ".1"); err != nil {
		t.Fatalf("the moved file: %v, want it free", err)
	}
}

// What is no regular file, or not there, is nobody's: /dev/null, a FIFO, a missing path.
func TestClaimExempt(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{os.DevNull, fifo, filepath.Join(dir, "missing")} {
		c, err := ClaimLog(path, -1)
		if err != nil {
			t.Fatalf("ClaimLog(%s): %v", path, err)
		}
		if err := CheckUnclaimed(path); err != nil {
			t.Errorf("CheckUnclaimed(%s) with a claim of it: %v, want nil", path, err)
		}
		c.Release()
	}
}

// BenchmarkCheckUnclaimed times a start's check of a log nobody claims, and the daemon's
// claim of it: the common path, which reads nothing of other processes.
func BenchmarkCheckUnclaimed(b *testing.B) {
	path := filepath.Join(b.TempDir(), "web.log")
	f, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.Run("check", func(b *testing.B) {
		for range b.N {
			if err := CheckUnclaimed(path); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("claim", func(b *testing.B) {
		for range b.N {
			c, err := ClaimLog(path, int(f.Fd()))
			if err != nil {
				b.Fatal(err)
			}
			c.Release()
		}
	})
}
