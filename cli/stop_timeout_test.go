package cli

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/server"
)

// TestStopTimeoutOfOlderRecord: a record written by a daemonkit before 2026-11-26 16:49
// keeps --shutdown-timeout in its request alone; stop (and restart) still wait as long as
// the daemon, which runs on after an upgrade, was started to drain, not only 10s.
func TestStopTimeoutOfOlderRecord(t *testing.T) {
	dir := t.TempDir()
	paths := instance.Paths{Name: "old", PIDFile: filepath.Join(dir, "old.pid"), Record: filepath.Join(dir, "old.json")}
	cases := []struct {
		name     string
		recorded time.Duration // the record's own
		request  string
		want     time.Duration
	}{
		{"older record, request's 30s", 0, `{"program":"daemonkit","shutdown_timeout":30000000000}`, 30*time.Second + server.KillGrace},
		{"the record's own first", 20 * time.Second, `{"shutdown_timeout":30000000000}`, 20*time.Second + server.KillGrace},
		{"a short one waits the default", 0, `{"shutdown_timeout":1000000000}`, defaultStopTimeout},
		{"neither says", 0, ``, defaultStopTimeout},
		{"a request of another shape", 0, `{"shutdown_timeout":"long"}`, defaultStopTimeout},
	}
	for _, c := range cases {
		rec := instance.Record{Name: "old", PID: 1 << 22, Program: "daemonkit", ShutdownTimeout: c.recorded, Request: json.RawMessage(c.request)}
		if err := instance.WriteRecord(paths.Record, rec); err != nil {
			t.Fatal(err)
		}
		if got := stopTimeout(nil, paths); got != c.want {
			t.Errorf("%s: stopTimeout = %v, want %v", c.name, got, c.want)
		}
	}
}
