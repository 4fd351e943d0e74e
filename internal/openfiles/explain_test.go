package openfiles

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
)

// TestExplain checks that Explain names the limit once, however often it is asked, says
// --limit-nofile where that flag set it, and leaves other errors as they are.
func TestExplain(t *testing.T) {
	err := fmt.Errorf("open x: %w", syscall.EMFILE)
	once := Explain(err, ", or more")
	twice := Explain(fmt.Errorf("wrapped: %w", once), ", or more")
	if !errors.Is(twice, syscall.EMFILE) || strings.Count(twice.Error(), "RLIMIT_NOFILE") != 1 || !strings.HasSuffix(once.Error(), "(LimitNOFILE= in a unit), or more") {
		t.Fatalf("explained twice: %v", twice)
	}
	if Advice(twice) != "" {
		t.Fatalf("Advice of an explained error: %q", Advice(twice))
	}
	if other := errors.New("x"); Explain(other, "") != other {
		t.Fatal("Explain changed an error no limit caused")
	}
	soft := softNofile()
	var n uint64
	if _, err := fmt.Sscan(soft, &n); err != nil {
		t.Skipf("soft limit %s", soft)
	}
	set.Store(n)
	defer set.Store(0)
	if got := Explain(err, ", or more").Error(); !strings.HasSuffix(got, fmt.Sprintf("which --limit-nofile %d set): give --limit-nofile a higher value, or leave it out", n)) {
		t.Fatalf("under --limit-nofile: %s", got)
	}
}
