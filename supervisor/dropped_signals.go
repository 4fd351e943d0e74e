package supervisor

import (
	"maps"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
)

// droppedEvery is how often, at most, the log says how many signals were not passed on
// since its last line about them, while no copy of the program is ready.
const droppedEvery = time.Second

// droppedSignals says in the log which signals Forward could not pass on, without a line
// each: a loop of them (a WINCH each time a terminal's window is resized, a script that
// retries) while the program is down would otherwise fill the disk and push every other
// line out of start's last lines. The first of each time the program is down is said in
// full; the others are counted, and said at most once each droppedEvery, once the
// program is ready again, and at the supervisor's end.
type droppedSignals struct {
	now func() time.Time

	mu       sync.Mutex
	said     bool           // the first of this time down was said
	last     time.Time      // of the last line
	unlogged map[string]int // signals dropped since the last line, by name
	count    int            // their number
}

// drop logs, or counts, sig, not passed on.
func (d *droppedSignals) drop(log hclog.Logger, sig syscall.Signal) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	if !d.said {
		log.Warn("signal not passed on: the program is not running, or its restart is not ready yet; send it again once this log says the program is ready", "signal", sigName(sig))
		d.said, d.last = true, now
		return
	}
	if d.unlogged == nil {
		d.unlogged = map[string]int{}
	}
	d.unlogged[sigName(sig)]++
	d.count++
	if now.Sub(d.last) >= droppedEvery {
		d.sayCount(log, "more signals not passed on: the program is not running, or its restart is not ready yet")
		d.last = now
	}
}

// ready says how many signals were not passed on since the last line about them, if any,
// now that a copy of the program is ready: the next one dropped is said in full again.
func (d *droppedSignals) ready(log hclog.Logger) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sayCount(log, "more signals were not passed on while the program was not ready")
	d.said = false
}

// ended says how many signals were not passed on since the last line about them, if any,
// as the supervisor ends: those counted while the program was down, just before a stop
// or once restarts have ended, are said before it goes.
func (d *droppedSignals) ended(log hclog.Logger) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sayCount(log, "more signals were not passed on before the supervisor ended")
}

// sayCount logs msg with the count of the signals not yet said, by name, and forgets
// them; nothing if there are none. d.mu is held.
func (d *droppedSignals) sayCount(log hclog.Logger, msg string) {
	if d.count == 0 {
		return
	}
	args := []any{"count", d.count}
	for _, name := range slices.Sorted(maps.Keys(d.unlogged)) {
		args = append(args, name, d.unlogged[name])
	}
	log.Warn(msg, args...)
	d.unlogged, d.count = nil, 0
}
