//go:build linux

package reliability_test

import (
	"slices"
	"testing"
	"time"
)

// BenchmarkStartReady times `daemonkit start -d` of the built-in server until it returns
// ready, per strategy, as a shell would see it (the binary's start-up included); each
// daemon is stopped again outside the timer. It reports the median besides the mean, which
// one descheduled run moves. bench/compare.sh puts the same beside start-stop-daemon.
func BenchmarkStartReady(b *testing.B) {
	for _, s := range strategies {
		b.Run(s, func(b *testing.B) {
			e := benchEnv(b)
			var took []time.Duration
			for b.Loop() {
				r := e.run("bench", "start", "-d", "--strategy", s, "--name", "bench")
				b.StopTimer()
				if r.code != 0 {
					b.Fatal(r)
				}
				took = append(took, r.took)
				if r := e.run("bench", "stop", "--name", "bench"); r.code != 0 {
					b.Fatal(r)
				}
				b.StartTimer()
			}
			b.ReportMetric(median(took), "median-ms")
		})
	}
}

// BenchmarkStopCommand times `daemonkit stop` of the built-in server, which exits at once
// on SIGTERM, as a shell would see it; the daemon is started outside the timer.
func BenchmarkStopCommand(b *testing.B) {
	e := benchEnv(b)
	var took []time.Duration
	for b.Loop() {
		b.StopTimer()
		if r := e.run("bench", "start", "-d", "--strategy", "setsid", "--name", "bench"); r.code != 0 {
			b.Fatal(r)
		}
		b.StartTimer()
		r := e.run("bench", "stop", "--name", "bench")
		if r.code != 0 {
			b.Fatal(r)
		}
		took = append(took, r.took)
	}
	b.ReportMetric(median(took), "median-ms")
}

// benchEnv is newEnv for a benchmark: its commands fail it as they fail a test.
func benchEnv(b *testing.B) *env {
	b.Helper()
	e := &env{t: b, bin: daemonkitBin(b), state: b.TempDir(), test: b.Name()}
	b.Cleanup(func() { killMarked(func(p proc) bool { return p.env[testEnv] == e.test }) })
	return e
}

// median of ds, in milliseconds.
func median(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[len(s)/2]) / float64(time.Millisecond)
}
