package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestReopenFailedAgainCounted: a reopen that fails as the one before it did, within the
// same second (the same text), still writes the record, with one more failure counted:
// the reopen command that waits for this one's answer tells it from the earlier one by
// the count, at once, rather than wait out its bound and guess.
func TestReopenFailedAgainCounted(t *testing.T) {
	was := redirectLog
	t.Cleanup(func() { redirectLog = was })
	redirectLog = func(string, ...int) error { return errors.New("open log: is a directory") }
	dir := t.TempDir()
	path := filepath.Join(dir, "web.json")
	running := instance.Record{Name: "web", PID: os.Getpid(), Program: "daemonkit", State: instance.StateRunning}
	if err := instance.WriteRecord(path, running); err != nil {
		t.Fatal(err)
	}
	r := &runner{
		opts:    Options{LogPath: filepath.Join(dir, "web.log")},
		records: &records{path: path, rec: running, written: true},
		log:     hclog.NewNullLogger(),
	}
	var seen []instance.Record
	for range 2 {
		r.reopenLog("SIGUSR1")
		got, err := instance.ReadRecord(path)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, got)
	}
	if seen[0].LogProblem == "" || seen[0].LogReopenFailures != 1 || seen[1].LogReopenFailures != 2 {
		t.Errorf("records after two failed reopens: problems %q, %q; failures %d, %d; want a problem, and 1 then 2",
			seen[0].LogProblem, seen[1].LogProblem, seen[0].LogReopenFailures, seen[1].LogReopenFailures)
	}
}

// TestReopenAtFileLimitSaysTheFix: a reopen refused by the daemon's limit on open files
// (a server holding as many connections as its ulimit -n allows) says which limit and
// the fix, in the log and in the record status shows, as a start refused so does: it said
// only "open log ...: too many open files".
func TestReopenAtFileLimitSaysTheFix(t *testing.T) {
	was := redirectLog
	t.Cleanup(func() { redirectLog = was })
	redirectLog = func(path string, _ ...int) error {
		return fmt.Errorf("open log %s: %w", path, syscall.EMFILE)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "web.json")
	running := instance.Record{Name: "web", PID: os.Getpid(), Program: "daemonkit", State: instance.StateRunning}
	if err := instance.WriteRecord(path, running); err != nil {
		t.Fatal(err)
	}
	logged := &testutil.Buffer{}
	r := &runner{
		opts:    Options{LogPath: filepath.Join(dir, "web.log")},
		records: &records{path: path, rec: running, written: true},
		log:     hclog.New(&hclog.LoggerOptions{Output: logged}),
	}
	r.reopenLog("SIGUSR1")
	got, err := instance.ReadRecord(path)
	if err != nil {
		t.Fatal(err)
	}
	for what, text := range map[string]string{"the log": logged.String(), "the record": got.LogProblem} {
		if !strings.Contains(text, "RLIMIT_NOFILE") || !strings.Contains(text, "restart") {
			t.Errorf("%s says of a reopen at the limit on open files:\n%s\nwant the limit named, and that a restart takes a raised one", what, text)
		}
	}
}
