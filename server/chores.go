package server

import (
	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/proc"
)

// chores are the loop's steps that touch the disk: the pidfile's check and what it puts
// back (checkPIDFile, which reopens the log after a deleted state directory, and
// checkBeside), the count of dropped log lines in the record (countDrops), and the
// record's write after a reload. Each blocks for as long as the disk it touches is frozen
// (the state directory's, or the log's), and the lines they log wait for the log's disk:
// they run beside the loop, so that a stop is acted on at once whatever they are doing.
// They run one batch at a time, on a thread that takes no signal (proc.GoDeaf: one asleep
// in the kernel must not take the stop's); those asked for while a batch runs follow it,
// each once however often it was asked, so two checks of the pidfile never overlap, and a
// disk frozen for minutes while the loop ticks costs no goroutine more. A batch still under
// way when a stop begins is left to end on its own: it writes no record after the stop's
// last one (records.ended), and Restore puts back no pidfile after Release.
type chores struct {
	done chan struct{} // closed when the batch under way ends; nil while none runs
	cur  chore         // the batch under way
	next chore         // asked for while it ran
	ours bool          // the batch under way checked the pidfile, and found it this daemon's
}

// chore is a set of the loop's chores.
type chore uint8

const (
	recheckPIDFile chore = 1 << iota // check the pidfile, and put back what went with it
	countDropped                     // count the log's dropped lines in the record
	rewriteRecord                    // write the record again, stamped alive now (after a reload)
)

// askChores runs c beside the loop, or once more after the batch under way. It never blocks.
func (r *runner) askChores(c chore) {
	if r.chores.done != nil {
		r.chores.next |= c
		return
	}
	done := make(chan struct{})
	r.chores.done, r.chores.cur, r.chores.ours = done, c, false
	proc.GoDeaf(func() {
		defer close(done)
		r.chores.ours = r.runChores(c) // read by the loop once done is closed
	})
}

// choresEnded is the loop's part once the batch under way has ended (its done is closed):
// it starts the chores asked for meanwhile, if any, and returns the batch that ended and
// whether, if it checked the pidfile, the path names this daemon's file.
func (r *runner) choresEnded() (ended chore, ours bool) {
	ended, ours, next := r.chores.cur, r.chores.ours, r.chores.next
	r.chores.done, r.chores.cur, r.chores.next = nil, 0, 0
	if next != 0 {
		r.askChores(next)
	}
	return ended, ours
}

// runChores does the chores of c, beside the loop, and reports whether the pidfile's path
// names this daemon's file (c checked it).
func (r *runner) runChores(c chore) (ours bool) {
	if c&recheckPIDFile != 0 {
		if ours = r.checkPIDFile(); ours {
			r.checkBeside()
		}
		r.keepCrashOutput()
	}
	if c&countDropped != 0 {
		r.countDrops()
	}
	if c&rewriteRecord != 0 {
		if err := r.records.update(func(*instance.Record) {}); err != nil {
			r.log.Debug("could not write the record again after a reload", "error", err)
		}
	}
	return ours
}
