package server

import (
	"os"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// hangupWindow is how close a SIGHUP and the hangup of the terminal a foreground start
// was typed at must be for the SIGHUP to be that hangup's (Options.HangupStops), in either
// order: a closed window or a dropped ssh session hangs the terminal up first, then the
// shell passes SIGHUP on to its jobs; xterm, or a `kill -HUP` of the shell, sends the shell
// SIGHUP first, and the terminal goes once the shell has exited. A SIGHUP further from the
// hangup (a reload of a start put in the background and left, long after its terminal
// went) reloads.
const hangupWindow = 2 * time.Second

// terminalWatch watches the terminal a foreground start was typed at for its hangup, from
// a descriptor of its own that it never reads, so that no input is taken from the shell.
// A nil *terminalWatch watches nothing: it never hangs up.
type terminalWatch struct {
	mu     sync.Mutex
	fd     int       // the terminal; -1 once the watch has ended
	at     time.Time // when it hung up (monotonic); zero while it has not
	hungUp chan struct{}
	quit   *os.File // the write end of the watch's pipe: closing it ends the watch
	// foreground reports whether this process's group is the foreground group of the
	// terminal fd (-1 once the watch has ended: it is not).
	foreground func(fd int) bool
	// hungUpNow reports whether the terminal fd has hung up, without waiting.
	hungUpNow    func(fd int) bool
	foregroundAt time.Time // when the watch last saw this process's group in the foreground
}

// foregroundEvery is how often the watch looks whether this process is the terminal's
// foreground job, and foregroundRecent how long it counts as one after it last saw it:
// the shell that passes a SIGHUP on to its foreground job takes the terminal back at once,
// before the job has taken the signal (later still on a loaded machine). A start a user
// puts in the background (Ctrl-Z, bg, then a reload typed at the terminal) was not the
// foreground job for longer than that.
const (
	foregroundEvery  = time.Second                    // well inside foregroundRecent: an idle start wakes once a second
	foregroundRecent = hangupWindow + foregroundEvery // seen at most foregroundEvery before it left
)

// hangup is a channel closed once the terminal has hung up; nil (never ready) without a
// watch.
func (t *terminalWatch) hangup() <-chan struct{} {
	if t == nil {
		return nil
	}
	return t.hungUp
}

// hungUpAt is when the terminal hung up, and whether it has: what the watch saw, or if it
// has not seen it yet, what the terminal says now (the kernel marks the terminal hung up
// before it sends the SIGHUP of its hangup; the watch may wake after that SIGHUP is taken).
func (t *terminalWatch) hungUpAt() (time.Time, bool) {
	if t == nil {
		return time.Time{}, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.at.IsZero() && t.fd >= 0 && t.hungUpNow(t.fd) {
		t.markLocked()
	}
	return t.at, !t.at.IsZero()
}

// markLocked records the hangup, now, once.
func (t *terminalWatch) markLocked() {
	if t.at.IsZero() {
		t.at = time.Now()
		close(t.hungUp)
	}
}

// close ends the watch and lets its descriptor go.
func (t *terminalWatch) close() {
	if t != nil {
		_ = t.quit.Close()
	}
}

// hangupJudge tells, for the run, a SIGHUP that is the hangup of the terminal a
// foreground start was typed at (a stop) from one that is a reload. It judges from the
// start of the work to its end: a hangup while the work starts stops it too.
type hangupJudge struct {
	tty        *terminalWatch   // nil: every SIGHUP reloads
	reloadedAt time.Time        // the last SIGHUP taken for a reload while this was the terminal's foreground job
	early      int              // signals still waiting from before the judge began
	begun      time.Time        // when the judge began
	hangupC    <-chan struct{}  // the terminal's hangup, until it is taken
	quiet      <-chan time.Time // armed by a hangup with no SIGHUP just before: hangupWindow has passed with none after either
	quietTimer *time.Timer      // quiet's
	// marked takes a reload's mark for a SIGHUP taken at now (instance.TakeReloadMark):
	// whether reload said it sent it. nil: no SIGHUP is marked.
	marked func(now time.Time) bool
}

// newHangupJudge judges for the terminal tty watches, from now, with queued signals
// waiting: those that came before. A SIGHUP among them is the hangup's if the terminal
// hung up by now (after the watch began, as the start did).
func newHangupJudge(tty *terminalWatch, queued int, now time.Time) *hangupJudge {
	return &hangupJudge{tty: tty, early: queued, begun: now, hangupC: tty.hangup()}
}

// hangup is a channel ready once the terminal has hung up, until hungUp takes it; nil
// (never ready) without a terminal.
func (j *hangupJudge) hangup() <-chan struct{} { return j.hangupC }

// quietAfter is a channel ready once hangupWindow has passed after a hangup with no SIGHUP
// before or after it: the start was put in the background and left, and runs on. nil
// (never ready) until then.
func (j *hangupJudge) quietAfter() <-chan time.Time { return j.quiet }

// runsOn is what the loops do once quietAfter's channel is ready: it says, once, that the
// start runs on with its terminal gone.
func (j *hangupJudge) runsOn(log hclog.Logger) {
	j.quiet = nil
	log.Info(hangupQuiet)
}

// hangupQuiet is logged once hangupWindow has passed after the terminal's hangup with no
// SIGHUP: the start was put in the background and left.
const hangupQuiet = "terminal hung up, with no SIGHUP: running on, as a job put in the background and left; 'daemonkit stop' ends it"

// stopTimer lets the timer of quietAfter go.
func (j *hangupJudge) stopTimer() {
	if j.quietTimer != nil {
		j.quietTimer.Stop()
	}
}

// signal judges sig, a reopen signal taken at now: why it is the terminal's hangup, or ""
// if it is not (a reload, or a reopen).
func (j *hangupJudge) signal(sig os.Signal, now time.Time) string {
	j.early--
	if sig != sighup {
		return ""
	}
	if j.marked != nil && j.marked(now) {
		return "" // reload sent it: a reload, whenever it came, and no hangup's to come
	}
	if j.tty == nil {
		return ""
	}
	// One look at the terminal judges the signal. Two could disagree: a hangup that came
	// between them (the shell passes SIGHUP on just before its terminal goes) would be
	// taken by neither for this SIGHUP's, and the start would run on.
	at, gone := j.tty.hungUpAt()
	// It hung up at most hangupWindow before (or after now, as this was judged), or the
	// signal waited through the start, which the hangup came during.
	if gone && (now.Sub(at) <= hangupWindow || j.early >= 0 && !at.After(j.begun)) {
		j.quiet = nil // the hangup has its SIGHUP: it does not run on
		return "SIGHUP came as its terminal hung up"
	}
	// Only a SIGHUP that came while this was the terminal's foreground job can be the
	// one of a hangup that follows (xterm, or a kill -HUP of the shell, signals the
	// shell first, which passes it on to its jobs): a reload typed at the terminal is
	// the foreground job then, and a start put in the background is not.
	if !gone && j.tty.wasForeground(now) {
		j.reloadedAt = now
	}
	return ""
}

// hungUp judges the terminal's hangup, taken at now: why it is a stop (a SIGHUP came just
// before it, while this was the terminal's foreground job), or "" if it is not yet (a
// SIGHUP within hangupWindow after it may still make it one; quietAfter says when none
// did).
func (j *hangupJudge) hungUp(now time.Time) string {
	j.hangupC = nil
	at, ok := j.tty.hungUpAt()
	if ok && !j.reloadedAt.IsZero() && at.Sub(j.reloadedAt) <= hangupWindow {
		return "its terminal hung up as SIGHUP came"
	}
	j.quietTimer = time.NewTimer(max(hangupWindow-now.Sub(at), 0))
	j.quiet = j.quietTimer.C
	return ""
}

// wasForeground reports whether this process's group is, or was within foregroundRecent,
// the terminal's foreground group: whether it was the job at the terminal when a signal
// taken now came.
func (t *terminalWatch) wasForeground(now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.foreground == nil {
		return false
	}
	if t.foreground(t.fd) {
		return true
	}
	return !t.foregroundAt.IsZero() && now.Sub(t.foregroundAt) <= foregroundRecent
}
