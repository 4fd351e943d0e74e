package handshake

import (
	"strings"
	"testing"
)

// TestReadLongReport: a report longer than bufio.Scanner's default token (64 KiB), such as
// a daemon's error that quotes a long program path, is read whole, and where it ends is
// counted.
func TestReadLongReport(t *testing.T) {
	line := `{"pid":42,"error":"exec /` + strings.Repeat("a", 100<<10) + `: no such file or directory"}` + "\n"
	done := make(chan struct{})
	defer close(done)
	rd := NewReader(strings.NewReader(line), done)
	ev := <-rd.Events()
	if ev.Err != nil || ev.Report.PID != 42 || !strings.HasSuffix(ev.Report.Error, "no such file or directory") || ev.End != int64(len(line)) {
		t.Fatalf("event = {Err: %v, PID: %d, End: %d}; want the whole report, ending at %d", ev.Err, ev.Report.PID, ev.End, len(line))
	}
	if ev := <-rd.Events(); !ev.EOF {
		t.Fatalf("then %+v, want the end", ev)
	}
}
