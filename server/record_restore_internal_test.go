package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/instance"
)

// TestCheckBesideRestoresOnlyWhatItWrites: a record deleted alone is put back, and said
// so, while it is this daemon's to write; once its run is over (the record said stopped),
// nothing is written, and no line says it was restored.
func TestCheckBesideRestoresOnlyWhatItWrites(t *testing.T) {
	for _, tc := range []struct {
		what  string
		ended bool
	}{{"a running daemon's", false}, {"an ended run's", true}} {
		t.Run(tc.what, func(t *testing.T) {
			r, logged := newTestRunner(t, time.Hour)
			path := filepath.Join(t.TempDir(), "x.json")
			r.opts.RecordPath = path
			r.records = &records{path: path, rec: instance.Record{Name: "x", Program: "daemonkit"}, written: true, ended: tc.ended}
			r.checkBeside()
			_, err := os.Stat(path)
			restored := strings.Count(logged.String(), "record restored")
			switch {
			case !tc.ended && (err != nil || restored != 1):
				t.Errorf("record: %v; %d lines say it was restored, want it there and 1:\n%s", err, restored, logged)
			case tc.ended && (err == nil || restored != 0):
				t.Errorf("record: %v; %d lines say it was restored, want none written and 0:\n%s", err, restored, logged)
			}
		})
	}
}
