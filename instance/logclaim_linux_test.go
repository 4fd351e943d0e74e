package instance

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

// On a file system that folds case (vfat), FL.log is fl.log: one file, one claim, so a
// start that names it in another case than the one that writes it is decided against it.
// Where case tells files apart, Web.log and web.log are two logs, two claims.
func TestClaimLogCaseFolded(t *testing.T) {
	sensitive := t.TempDir()
	for _, name := range []string{"web.log", "Web.log"} {
		if err := os.WriteFile(filepath.Join(sensitive, name), nil, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := pathKey(filepath.Join(sensitive, "web.log")), pathKey(filepath.Join(sensitive, "Web.log")); a == b {
		t.Errorf("web.log and Web.log, two files, share the claim %s", a)
	}

	fat, dir := testutil.FATDir(t), t.TempDir()
	lower, upper := filepath.Join(fat, "fl.log"), filepath.Join(fat, "FL.log")
	if err := os.WriteFile(lower, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	if got := storedLog(upper); got != lower {
		t.Fatalf("storedLog(%s) = %s; want %s", upper, got, lower)
	}
	held := mustClaim(t, dir, claimPaths(t, dir, "a", lower))
	_, _, err := ClaimLog(context.Background(), dir, claimPaths(t, dir, "b", upper), 50*time.Millisecond)
	if !errors.Is(err, ErrLogClaimBusy) {
		t.Errorf("ClaimLog(b, %s) while a holds %s's claim: %v; want ErrLogClaimBusy", upper, lower, err)
	}
	held.Release()
}
