package cli

import (
	"context"
	"io"
	"slices"
	"strings"
	"sync"
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
	outDone bool        // the first one's stdout part is written
	closed  bool
	failed  []string
	done    chan struct{}
}

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

// write writes the queued reports until finish is called and none is left.
func (r *allReports) write() {
	defer close(r.done)
	for {
		r.mu.Lock()
		for len(r.queue) == 0 && !r.closed {
			r.more.Wait()
		}
		if len(r.queue) == 0 {
			r.mu.Unlock()
			return
		}
		next := r.queue[0]
		r.mu.Unlock()
		_, _ = r.stdout.Write(next.out)
		r.mu.Lock()
		r.outDone = true
		r.mu.Unlock()
		_, _ = r.stderr.Write(next.errs)
		r.mu.Lock()
		r.queue, r.outDone = r.queue[1:], false
		r.mu.Unlock()
	}
}

// finish, once every report is added, waits until they are written, or until ctx ends:
// then it writes on stderr at once what the reports not written yet had for it, and
// returns the lines they had for stdout (none when every one was written), which the
// command's error must carry, since stdout takes none.
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
	r.mu.Lock()
	defer r.mu.Unlock()
	var lines []string
	for i, rep := range r.queue {
		if i > 0 || !r.outDone {
			lines = append(lines, strings.Split(strings.TrimSuffix(string(rep.out), "\n"), "\n")...)
		}
		if i > 0 || !r.outDone { // else the first one's is being written
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
