package server

import (
	"os"
	"testing"
	"time"
)

// hungUpWatch is a watch whose terminal hung up at at (never, if zero), read from no
// descriptor, where this process is the foreground job.
func hungUpWatch(at time.Time) *terminalWatch {
	t := &terminalWatch{fd: -1, hungUp: make(chan struct{}), foreground: func(int) bool { return true }}
	if !at.IsZero() {
		t.at = at
		close(t.hungUp)
	}
	return t
}

// A SIGHUP is the terminal's hangup when the two come within hangupWindow of each other,
// in either order, or when it waited through the start, which the hangup came during; any
// other SIGHUP is a reload, and so is every one of a start without a terminal.
func TestHangupJudge(t *testing.T) {
	begun := time.Now()
	hup, usr1 := sighup, sigusr1
	long := hangupWindow + time.Second
	for _, tc := range []struct {
		name   string
		tty    *terminalWatch
		queued int
		sig    os.Signal
		at     time.Time // when the signal is taken
		stops  bool
	}{
		{"no terminal", nil, 0, hup, begun.Add(time.Second), false},
		{"terminal there", hungUpWatch(time.Time{}), 0, hup, begun.Add(time.Second), false},
		{"just after the hangup", hungUpWatch(begun.Add(time.Second)), 0, hup, begun.Add(time.Second + 100*time.Millisecond), true},
		{"long after the hangup: backgrounded and left", hungUpWatch(begun.Add(time.Second)), 0, hup, begun.Add(time.Second + long), false},
		{"SIGUSR1 just after the hangup", hungUpWatch(begun.Add(time.Second)), 0, usr1, begun.Add(time.Second), false},
		{"waited through a start it hung up in", hungUpWatch(begun.Add(-long)), 1, hup, begun.Add(long), true},
		{"came after the start, long after the hangup in it", hungUpWatch(begun.Add(-long)), 0, hup, begun.Add(long), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := newHangupJudge(tc.tty, tc.queued, begun)
			if got := j.signal(tc.sig, tc.at) != ""; got != tc.stops {
				t.Errorf("stops = %v, want %v", got, tc.stops)
			}
		})
	}
}

// A hangup that comes within hangupWindow after a SIGHUP taken for a reload while this was
// the terminal's foreground job (xterm, or a `kill -HUP` of the shell, signals the shell
// before the terminal goes, and the shell its jobs) is a stop; one that comes long after,
// with no SIGHUP before, or after one that came while this was a background job (a
// `reload; exit` typed at the terminal) is not: the start runs on.
func TestHangupAfterSIGHUP(t *testing.T) {
	for _, tc := range []struct {
		name       string
		after      time.Duration // from the SIGHUP to the hangup; negative: no SIGHUP
		background bool          // the SIGHUP came while this was a background job
		stops      bool
	}{
		{"just after", 50 * time.Millisecond, false, true},
		{"long after", hangupWindow + time.Second, false, false},
		{"no SIGHUP", -1, false, false},
		{"just after, in the background", 50 * time.Millisecond, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			begun := time.Now()
			tty := hungUpWatch(time.Time{})
			tty.foreground = func(int) bool { return !tc.background }
			j := newHangupJudge(tty, 0, begun)
			hupAt := begun.Add(time.Second)
			if tc.after >= 0 {
				if why := j.signal(sighup, hupAt); why != "" {
					t.Fatalf("a SIGHUP at a terminal still there stops: %s", why)
				}
			}
			tty.at = hupAt.Add(max(tc.after, 0))
			close(tty.hungUp)
			if got := j.hungUp(tty.at) != ""; got != tc.stops {
				t.Errorf("stops = %v, want %v", got, tc.stops)
			}
			if quiet := j.quietAfter() != nil; quiet == tc.stops {
				t.Errorf("running on after the hangup is said: %v, want %v", quiet, !tc.stops)
			}
			j.stopTimer()
		})
	}
}

// A process counts as the terminal's foreground job when it is, or the watch saw it so
// within foregroundRecent: the shell takes its terminal back as it signals its job.
func TestWasForeground(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name   string
		now    bool          // the foreground job now
		seen   time.Duration // since the watch last saw it so; 0: never
		counts bool
	}{
		{"now", true, 0, true},
		{"just before", false, foregroundEvery, true},
		{"long before", false, foregroundRecent + time.Second, false},
		{"never", false, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tty := hungUpWatch(time.Time{})
			tty.foreground = func(int) bool { return tc.now }
			if tc.seen > 0 {
				tty.foregroundAt = now.Add(-tc.seen)
			}
			if got := tty.wasForeground(now); got != tc.counts {
				t.Errorf("wasForeground = %v, want %v", got, tc.counts)
			}
		})
	}
}

// A SIGHUP that reload marked as its own is a reload even just after the hangup, and the
// mark is taken with it, marked or not: a later SIGHUP is judged by its time again.
func TestHangupJudgeMarkedReload(t *testing.T) {
	begun := time.Now()
	hung := begun.Add(time.Second)
	j := newHangupJudge(hungUpWatch(hung), 0, begun)
	marks := []bool{true, false}
	j.marked = func(time.Time) bool {
		m := marks[0]
		marks = marks[1:]
		return m
	}
	if why := j.signal(sighup, hung.Add(100*time.Millisecond)); why != "" {
		t.Errorf("a marked SIGHUP just after the hangup stops: %s", why)
	}
	if why := j.signal(sighup, hung.Add(200*time.Millisecond)); why == "" {
		t.Error("an unmarked SIGHUP just after the hangup does not stop")
	}
	if len(marks) != 0 {
		t.Errorf("%d SIGHUPs did not look for a mark", len(marks))
	}
}

// A SIGHUP the shell passes on just before its terminal goes may be judged as the
// terminal hangs up: a judge that looked at the terminal twice, seeing it there, then gone,
// took it for neither the hangup's SIGHUP nor a foreground job's, and the start ran on.
// Whenever the hangup comes while the SIGHUP is judged, the two are one stop.
func TestHangupWhileSIGHUPJudged(t *testing.T) {
	begun := time.Now()
	hupAt := begun.Add(time.Second)
	for looks := 1; looks <= 2; looks++ { // the terminal has hung up at this look, and after
		tty := hungUpWatch(time.Time{})
		tty.fd = 0 // looked at through hungUpNow, which reads no descriptor
		seen := 0
		tty.hungUpNow = func(int) bool {
			seen++
			return seen >= looks
		}
		j := newHangupJudge(tty, 0, begun)
		why := j.signal(sighup, hupAt)
		if why == "" {
			if _, gone := tty.hungUpAt(); !gone {
				t.Fatalf("hangup at look %d: the terminal never hung up (%d looks)", looks, seen)
			}
			why = j.hungUp(hupAt.Add(time.Millisecond))
		}
		if why == "" {
			t.Errorf("hangup at look %d: the start runs on; want it stopped", looks)
		}
		j.stopTimer()
	}
}
