package cli

import (
	"context"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
)

// allReports writes, in the order they come, what each instance of forEachInstance
// printed, on a goroutine of its own: an instance whose report cannot be written yet (its
// stdout a pipe nobody reads) holds back no other instance's work, and an interrupt need
// not wait for a write that may never end (finish).
type allReports struct {
	stdout, stderr io.Writer

	mu      sync.Mutex
	more    *sync.Cond
	queue   []allReport // not yet written; the first one is being written
	since   time.Time   // when the write under way began; zero between writes
	inErr   bool        // the write under way is the first one's stderr part
	closed  bool        // no more reports come
	stopped bool        // finish took the queue: the writer writes no more
	failed  []string
	done    chan struct{}
}

// writeBlockedAfter is how long one write must have lasted for finish, once interrupted,
// to take it for a write nobody will ever read rather than a writer behind. A variable
// for tests alone.
var writeBlockedAfter = time.Second

// allReport is one instance's report: what it printed on stdout and on stderr.
type allReport struct{ out, errs []byte }

// newAllReports starts writing reports to stdout and stderr.
func newAllReports(stdout, stderr io.Writer) *allReports {
	r := &allReports{stdout: stdout, stderr: stderr, done: make(chan struct{})}
	r.more = sync.NewCond(&r.mu)
	go r.write()
	return r
}

// add queues the report of the instance name, which failed if failed.
func (r *allReports) add(name string, failed bool, out, errs []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if failed {
		r.failed = append(r.failed, name)
	}
	r.queue = append(r.queue, allReport{out, errs})
	r.more.Signal()
}

// write writes the queued reports until finish is called and none is left, or finish
// takes them.
func (r *allReports) write() {
	defer close(r.done)
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		for len(r.queue) == 0 && !r.closed && !r.stopped {
			r.more.Wait()
		}
		if len(r.queue) == 0 || r.stopped {
			return
		}
		next := r.queue[0]
		for _, part := range []struct {
			w     io.Writer
			p     []byte
			isErr bool
		}{{r.stdout, next.out, false}, {r.stderr, next.errs, true}} {
			r.since, r.inErr = time.Now(), part.isErr
			r.mu.Unlock()
			_, _ = part.w.Write(part.p)
			r.mu.Lock()
			r.since = time.Time{}
			if r.stopped { // finish took this report's rest and the others
				return
			}
		}
		r.queue = r.queue[1:]
	}
}

// finish, once every report is added, waits until they are written. Once ctx ends it
// waits only as long as the writer is not stuck in one write (writeBlockedAfter): then
// it takes from the writer the reports not written yet, writes on stderr at once what
// they had for it, and returns the lines they had for stdout, which the command's error
// must carry, since stdout takes none. It returns none when every report was written.
func (r *allReports) finish(ctx context.Context) []string {
	r.mu.Lock()
	r.closed = true
	r.more.Signal()
	r.mu.Unlock()
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
	}
	for {
		r.mu.Lock()
		wait := writeBlockedAfter
		if !r.since.IsZero() {
			wait -= time.Since(r.since)
		}
		if !r.since.IsZero() && wait <= 0 {
			break // with r.mu held
		}
		r.mu.Unlock()
		timer := time.NewTimer(wait)
		select {
		case <-r.done:
			timer.Stop()
			return nil
		case <-timer.C:
		}
	}
	rest, stuckInErr := r.queue, r.inErr
	r.queue, r.stopped = nil, true
	r.mu.Unlock()
	var lines []string
	for i, rep := range rest {
		if i == 0 && stuckInErr {
			continue // its stdout part is written, its stderr part stuck in the writer
		}
		lines = append(lines, strings.Split(strings.TrimSuffix(string(rep.out), "\n"), "\n")...)
		if !stuckInErr { // else stderr is what nobody reads: writing would block for ever
			_, _ = r.stderr.Write(rep.errs)
		}
	}
	return slices.DeleteFunc(lines, func(l string) bool { return l == "" })
}

// failedNames are the instances whose do failed, sorted.
func (r *allReports) failedNames() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	failed := slices.Clone(r.failed)
	slices.Sort(failed)
	return failed
}
