package pidfile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// hostile lists contents that must never be taken for a pid, each with what its error
// must say.
func hostile() []struct{ name, content, want string } {
	max := strconv.Itoa(pidMax() + 1)
	return []struct{ name, content, want string }{
		{"empty", "", "invalid pidfile content: empty"},
		{"zero", "0", "0 is out of range [1, "},
		{"negative", "-5", `unexpected "-" at offset 0 in "-5"`},
		{"trailing letters", "123abc", `unexpected "a" at offset 3 in "123abc"`},
		{"leading space", " 123", `unexpected " " at offset 0 in " 123"`},
		{"hex", "0x10", `unexpected "x" at offset 1 in "0x10"`},
		{"plus", "+12", `unexpected "+" at offset 0 in "+12"`},
		{"past pid_max", max, max + " is out of range [1, "},
		{"past int64", "99999999999999999999", "99999999999999999999 is out of range [1, "},
		{"binary", "\x00\xff\xfe\x01", `unexpected "\x00" at offset 0 in "\x00\xff\xfe\x01"`},
		{"4 KiB of digits", strings.Repeat("1", 4096), `too long (more than 32 bytes), starting "1111111111111111"`},
		{"two newlines", "12\n\n", `unexpected "\n" at offset 2 in "12\n\n"`},
		{"trailing space", "12 ", `unexpected " " at offset 2 in "12 "`},
		{"newline only", "\n", `no digits: "\n"`},
		{"leading zero", "0123\n", `leading zero in "0123\n"`},
		{"crlf", "12\r\n", `unexpected "\r" at offset 2`},
		{"NUL bytes", "\x00\x00\x00\x00", "only NUL bytes (4)"},
		{"NUL bytes, too many", strings.Repeat("\x00", 33), `too long (more than 32 bytes)`},
		{"NUL bytes and a newline", "\x00\x00\n", `unexpected "\x00" at offset 0`},
	}
}

// pidfileShape is what Acquire and RemoveStale may overwrite or remove: empty, or at most
// 32 bytes of digits with an optional
// newline (the length is checked by the regexp too).
var pidfileShape = regexp.MustCompile(`^(|[0-9]{1,32}|[0-9]{1,31}\n)$`) // and NUL bytes in a marked file: TestCrashLeftPidfile

func TestProbeHostileContent(t *testing.T) {
	dir := t.TempDir()
	for i, c := range hostile() {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strconv.Itoa(i)+".pid")
			if err := os.WriteFile(path, []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
			before := statOf(t, path)
			s := mustProbe(t, path)
			if s.State != Stale || s.PID != 0 || s.FilePID != 0 || s.Mismatch() {
				t.Errorf("Probe = %+v, want stale naming no pid", s)
			}
			if !errors.Is(s.ContentErr, ErrBadContent) || !strings.Contains(s.ContentErr.Error(), c.want) {
				t.Errorf("ContentErr = %v, want %q", s.ContentErr, c.want)
			}
			if after := statOf(t, path); after != before {
				t.Errorf("Probe changed the file")
			}
			if !pidfileShape.MatchString(c.content) {
				_, err := Acquire(path)
				if !errors.Is(err, ErrNotPidfile) {
					t.Fatalf("Acquire = %v, want ErrNotPidfile", err)
				}
				if after := statOf(t, path); after != before {
					t.Errorf("Acquire changed a file that is not a pidfile")
				}
				return
			}
			f, err := Acquire(path) // a stale file shaped like a pidfile is taken over
			if err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, path); got != strconv.Itoa(os.Getpid())+"\n" {
				t.Errorf("content after Acquire %q", got)
			}
			if err := f.Release(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestProbeUnrelatedLiveProcess: a file naming a live process that does not hold the lock
// is stale, never running.
func TestProbeUnrelatedLiveProcess(t *testing.T) {
	sleep := exec.Command("sleep", "60")
	if err := sleep.Start(); err != nil {
		t.Skipf("cannot run sleep: %v", err)
	}
	t.Cleanup(func() {
		_ = sleep.Process.Kill()
		_ = sleep.Wait()
	})
	path := filepath.Join(t.TempDir(), "d.pid")
	if err := os.WriteFile(path, []byte(strconv.Itoa(sleep.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := mustProbe(t, path)
	if s.State != Stale || s.PID != 0 || s.FilePID != sleep.Process.Pid || s.ContentErr != nil {
		t.Fatalf("Probe = %+v, want stale naming %d", s, sleep.Process.Pid)
	}
	if removed, err := RemoveStale(path); !removed || err != nil {
		t.Fatalf("RemoveStale = %v, %v", removed, err)
	}
}
