package instance

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/pidfile"
)

// BenchmarkStop times Stop alone: proving who holds the lock, the SIGTERM, waiting for the
// daemon to be gone (on Linux, on its pidfd, so no polling delay), and the clean-up after.
// Each iteration starts a graceful stand-in daemon and waits until it holds the pidfile
// lock, untimed. Besides ns/op (the mean) it reports the median Stop in µs (median-µs),
// which a slow outlier (a daemon descheduled on a busy machine) does not move, and the
// median of the part from the signal to gone (median-gone-µs, StopResult.Elapsed).
//
// The daemon's start-up is not timed but takes far longer than Stop, so the default
// -benchtime 1s runs for several seconds of wall time; -benchtime 200x is plenty.
func BenchmarkStop(b *testing.B) {
	p, err := Layout{StateDir: b.TempDir()}.Resolve("bench", "", "")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	took := make([]time.Duration, 0, b.N) // each Stop call
	gone := make([]time.Duration, 0, b.N) // within it, from the signal to gone (StopResult.Elapsed)
	b.StopTimer()
	b.ResetTimer()
	for range b.N {
		d := startDaemon(b, graceful, p.PIDFile, false)
		if st, err := pidfile.Probe(p.PIDFile); err != nil || st.State != pidfile.Running || st.PID != d.pid {
			b.Fatalf("pidfile: %+v, %v; want held by %d", st, err, d.pid)
		}
		if err := WriteRecord(p.Record, Record{Name: p.Name, PID: d.pid}); err != nil {
			b.Fatal(err)
		}

		b.StartTimer()
		t0 := time.Now()
		res, err := Stop(ctx, p, StopOptions{Timeout: testutil.Deadline})
		took = append(took, time.Since(t0))
		b.StopTimer()

		if err != nil {
			b.Fatalf("Stop: %v", err)
		}
		if !res.WasRunning || res.PID != d.pid || res.Killed {
			b.Fatalf("Stop = %+v, want pid %d stopped gracefully", res, d.pid)
		}
		gone = append(gone, res.Elapsed)
		d.reap(b)
	}
	b.ReportMetric(medianMicros(took), "median-µs")
	b.ReportMetric(medianMicros(gone), "median-gone-µs")
}

// medianMicros returns the median of ds in µs (ds is sorted in place).
func medianMicros(ds []time.Duration) float64 {
	slices.Sort(ds)
	return float64(ds[len(ds)/2].Nanoseconds()) / 1e3
}
