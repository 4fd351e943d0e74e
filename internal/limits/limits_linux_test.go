package limits

import (
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

func find(t *testing.T, ls []Limit, name string) Limit {
	t.Helper()
	i := slices.IndexFunc(ls, func(l Limit) bool { return l.Name == name })
	if i < 0 {
		t.Fatalf("no %s in %+v", name, ls)
	}
	return ls[i]
}

// Current keeps each limit as it is, but an open-files soft limit the Go runtime raised
// (to one below the hard one), which it cannot tell.
func TestCurrent(t *testing.T) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	nofile := find(t, Current(), "NOFILE")
	if nofile.Hard != rl.Max {
		t.Errorf("NOFILE hard %d, want %d", nofile.Hard, rl.Max)
	}
	if raised := rl.Cur+1 == rl.Max; raised != (nofile.Soft == nil) {
		t.Errorf("NOFILE soft %v with the limit at %d/%d", nofile.Soft, rl.Cur, rl.Max)
	}
	if core := find(t, Current(), "CORE"); core.Soft == nil {
		t.Errorf("CORE soft left out: %+v", core)
	}
}

// Apply gives this process what it is given (a lower soft limit, and back), and leaves
// alone what it has already; Unreachable finds nothing above its own.
func TestApply(t *testing.T) {
	was := Current()
	if err := Apply(was); err != nil {
		t.Fatalf("Apply(Current()): %v", err)
	}
	if lost := Unreachable(was); len(lost) > 0 {
		t.Errorf("Unreachable(Current()) = %q", lost)
	}
	core := find(t, was, "CORE")
	if core.Hard == 0 {
		t.Skip("RLIMIT_CORE's hard limit is 0 here: nothing below it to set")
	}
	t.Cleanup(func() {
		if err := Apply(was); err != nil {
			t.Error(err)
		}
	})
	lower := uint64(0)
	if err := Apply([]Limit{{Name: "CORE", Soft: &lower, Hard: core.Hard}}); err != nil {
		t.Fatal(err)
	}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &rl); err != nil {
		t.Fatal(err)
	}
	if rl.Cur != 0 || rl.Max != core.Hard {
		t.Errorf("RLIMIT_CORE %d/%d after Apply, want 0/%d", rl.Cur, rl.Max, core.Hard)
	}
}

// A limit this system does not have (another's record) is passed over.
func TestApplyUnknown(t *testing.T) {
	v := uint64(1)
	if err := Apply([]Limit{{Name: "NOSUCH", Soft: &v, Hard: v}}); err != nil {
		t.Fatal(err)
	}
}

func TestFormat(t *testing.T) {
	core, _ := byName("CORE")
	nofile, _ := byName("NOFILE")
	for _, c := range []struct{ got, want string }{
		{core.format(102400), "102400 bytes"},
		{core.format(Infinity), "unlimited"},
		{nofile.format(1024), "1024"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
