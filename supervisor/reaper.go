package supervisor

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync"
	"syscall"

	"github.com/daemonkit/daemonkit/internal/proc"
)

// reaper reaps every child of this process, the ones it started and the orphans that land
// on it as a subreaper, in the manner of containerd's: on SIGCHLD it waits for any child
// without blocking until none is left, and hands each status to whoever started that pid.
// So nothing else in the process may wait for its children: every child is started
// through start.
type reaper struct {
	mu      sync.Mutex
	waiting map[int]chan syscall.WaitStatus // started or watched, not reaped yet
	early   map[int]syscall.WaitStatus      // orphans reaped while an adoption was open (see expect)
	expects int                             // adoptions open
	// kept are the named main processes (MAINPID=) whose status is kept if they are reaped
	// as orphans (keepStatus): how many watch each, and the status once reaped.
	kept    map[int]*keptStatus
	orphans func(pid int, ws syscall.WaitStatus)
	reaped  func(pid int) // afterReap when newReaper ran: a test's look between a reap and its bookkeeping
	sigchld chan os.Signal
	done    chan struct{}
	stopped chan struct{}
}

// newReaper starts reaping; orphans, if set, hears of every child nobody started.
func newReaper(orphans func(pid int, ws syscall.WaitStatus)) *reaper {
	r := &reaper{
		waiting: map[int]chan syscall.WaitStatus{},
		early:   map[int]syscall.WaitStatus{},
		kept:    map[int]*keptStatus{},
		orphans: orphans,
		reaped:  afterReap,
		sigchld: make(chan os.Signal, 1),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	signal.Notify(r.sigchld, syscall.SIGCHLD)
	go r.loop()
	return r
}

func (r *reaper) loop() {
	defer close(r.stopped)
	for {
		r.reapAll()
		select {
		case <-r.sigchld:
		case <-r.done:
			r.reapAll()
			return
		}
	}
}

// reapAll reaps every child that has ended. Each reap, and the handing on of its status,
// is made under mu, so that kill, which looks under mu, never finds a pid reaped (free to
// be another's) but still waited for.
func (r *reaper) reapAll() {
	for {
		var ws syscall.WaitStatus
		r.mu.Lock()
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil) // WNOHANG: it does not block
		if errors.Is(err, syscall.EINTR) {
			r.mu.Unlock()
			continue
		}
		if err != nil || pid <= 0 {
			r.mu.Unlock()
			return // ECHILD: no children; 0: none has ended
		}
		if r.reaped != nil {
			r.reaped(pid)
		}
		ch, ok := r.waiting[pid]
		if ok {
			delete(r.waiting, pid)
			ch <- ws
		} else {
			if k := r.kept[pid]; k != nil && !k.reaped {
				k.ws, k.reaped = ws, true // a named main process adopted: its status is asked for
			}
			if r.expects > 0 {
				r.early[pid] = ws // it may be the one being adopted, not watched yet
			}
		}
		r.mu.Unlock()
		if !ok && r.orphans != nil {
			r.orphans(pid, ws)
		}
	}
}

// afterReap, if set when a reaper is made, is called with every pid it reaps, right after
// the reap and before the pid's status is handed on; a test sets it, to look in between.
var afterReap func(pid int)

// start starts a child with os.StartProcess and returns it and a channel that delivers its
// wait status once it has ended. The child is registered as an adopted one is (expect,
// then watch): its status is kept for it if it is reaped before. mu is not held across the
// spawn: an exec that blocks (a binary on a hung network mount) holds up neither reaping
// nor kill, through which a stop signals the program.
func (r *reaper) start(path string, argv []string, attr *os.ProcAttr) (int, <-chan syscall.WaitStatus, error) {
	done := r.expect()
	defer done()
	p, err := spawnChild(path, argv, attr)
	if err != nil {
		return 0, nil, err
	}
	pid := p.Pid
	_ = p.Release() // the reaper waits for it, by pid
	return pid, r.watch(pid), nil
}

// spawnChild is spawn; a test may replace it, to hold a spawn in progress.
var spawnChild = spawn

// spawnRequest is one os.StartProcess for the spawner thread, and where its result goes.
type spawnRequest struct {
	path  string
	argv  []string
	attr  *os.ProcAttr
	reply chan spawnResult
}

type spawnResult struct {
	p   *os.Process
	err error
}

// spawns feeds the spawner, started on first use.
var spawns = sync.OnceValue(func() chan spawnRequest {
	c := make(chan spawnRequest)
	go spawner(c)
	return c
})

// spawn starts a process from the spawner's thread.
func spawn(path string, argv []string, attr *os.ProcAttr) (*os.Process, error) {
	req := spawnRequest{path: path, argv: argv, attr: attr, reply: make(chan spawnResult, 1)}
	spawns() <- req
	res := <-req.reply
	return res.p, res.err
}

// spawner starts every child of the process from one OS thread, which it holds for the
// process's whole life. A parent-death signal (see dieWithSupervisor) is sent when the
// thread that forked the child exits, not the process, and the Go runtime ends a thread
// whose goroutine exits while locked to it; this thread never exits, so the signal comes
// only when the supervisor itself is gone.
func spawner(requests <-chan spawnRequest) {
	runtime.LockOSThread() // never unlocked
	for req := range requests {
		p, err := os.StartProcess(req.path, req.argv, req.attr)
		req.reply <- spawnResult{p, err}
	}
}

// expect opens an adoption: until the returned function is called, the reaper keeps the
// status of every orphan it reaps, so that watch finds one that ended before it was
// watched. Nothing is kept otherwise.
func (r *reaper) expect() (done func()) {
	r.mu.Lock()
	r.expects++
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.expects--; r.expects == 0 {
			clear(r.early)
		}
	}
}

// watch returns a channel that delivers pid's wait status once it has ended: for a child
// this process did not start, such as an orphan that landed on it. If pid was reaped since
// expect, unclaimed, the channel holds its status at once.
func (r *reaper) watch(pid int) <-chan syscall.WaitStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch := make(chan syscall.WaitStatus, 1)
	if ws, ok := r.early[pid]; ok {
		delete(r.early, pid)
		ch <- ws
		return ch
	}
	r.waiting[pid] = ch
	return ch
}

// unwatch undoes watch for a pid that turned out not to be a child of this process. A
// status delivered before it stays in the channel watch returned.
func (r *reaper) unwatch(pid int) {
	r.mu.Lock()
	delete(r.waiting, pid)
	r.mu.Unlock()
}

// keptStatus is what keepStatus keeps of one pid.
type keptStatus struct {
	watchers int
	ws       syscall.WaitStatus
	reaped   bool
}

// keepStatus asks the reaper to keep pid's status if it reaps it as an orphan: a main
// process a copy named (MAINPID=), whose parent ended and left it to this subreaper. Its
// status is read with keptStatusOf until forgetStatus is called as often as keepStatus.
func (r *reaper) keepStatus(pid int) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	k := r.kept[pid]
	if k == nil {
		k = &keptStatus{}
		r.kept[pid] = k
	}
	k.watchers++
}

// keptStatusOf is pid's status if the reaper reaped it while it was kept (keepStatus). It
// looks under mu, which every reap holds: a pid that /proc no longer lists because this
// reaper reaped it has its status kept by then.
func (r *reaper) keptStatusOf(pid int) (syscall.WaitStatus, bool) {
	if r == nil {
		return 0, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if k := r.kept[pid]; k != nil && k.reaped {
		return k.ws, true
	}
	return 0, false
}

// forgetStatus undoes one keepStatus of pid.
func (r *reaper) forgetStatus(pid int) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if k := r.kept[pid]; k != nil {
		if k.watchers--; k.watchers <= 0 {
			delete(r.kept, pid)
		}
	}
}

// close stops reaping, after a last pass.
func (r *reaper) close() {
	signal.Stop(r.sigchld)
	close(r.done)
	<-r.stopped
}

// kill sends sig to pid, a child started or watched whose status comes on exited (the
// channel start or watch returned for it), and reports whether it was sent: not once that
// child is reaped, when its pid may be a stranger's, nor to a child the reaper started or
// watched since under the same pid (a check's shell, a restart's copy): the registration
// must be that very child's, as killGroup's is. The look and the signal are one step under
// mu, which every reap holds: a reap cannot come between them.
func (r *reaper) kill(pid int, exited <-chan syscall.WaitStatus, sig syscall.Signal) bool {
	if r == nil { // no reaper: nothing reaps the child, and its pid stays its own
		return killPID(pid, sig) == nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if ch, ok := r.waiting[pid]; !ok || ch != exited {
		return false
	}
	return killPID(pid, sig) == nil
}

// killPID is syscall.Kill; a test may replace it, to see which pids are signalled.
var killPID = syscall.Kill

// killGroup SIGKILLs the process group that pid, a child started or watched whose status
// comes on exited (a copy of generation gen), leads, and what is left of it once the child
// is reaped, and never a group that a process given pid since leads. While the reaper
// still waits for that child (the same registration: pid not reaped, nor reaped and given
// to a child started since), its pid, zombie or not, keeps the group's number its own, and
// kill(-pid) is sent under mu, which every reap holds. Once it is reaped, the number is
// free for the kernel to give to a stranger as soon as the group has no member left, and a
// stranger that takes it and calls setsid or setpgid (a daemon, a shell's job, this
// supervisor's next copy) leads a group of that number: what is left is then found in
// /proc instead, members of the group below this process (a child subreaper, to which the
// group's orphans were reparented), none of a child the reaper waits for or what it
// started, none that carries another copy's generation (GenerationEnv: a daemon the next
// copy started, whose parent exited), and only while the pid names no process; each
// through a handle checked once opened (proc.KillGroup). It returns once those are gone,
// at most killBound later, with those that were not gone by then (left): a process that
// waits in the kernel (state D, a hung disk or NFS server) outlives SIGKILL. A group
// signalled while its leader is waited for is not waited for: nothing is left to say.
func (r *reaper) killGroup(pid int, exited <-chan syscall.WaitStatus, gen int) (left []int) {
	if pid <= 0 {
		return nil
	}
	if r == nil { // no reaper: nothing reaps the child, and its pid stays its own
		_ = killPID(-pid, syscall.SIGKILL)
		return nil
	}
	r.mu.Lock()
	if ch, ok := r.waiting[pid]; ok && ch == exited {
		_ = killPID(-pid, syscall.SIGKILL)
		r.mu.Unlock()
		return nil
	}
	spare := make([]int, 0, len(r.waiting))
	for p := range r.waiting {
		spare = append(spare, p)
	}
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), killBound)
	defer cancel()
	another := func(p int) bool {
		g, ok := proc.Getenv(p, GenerationEnv)
		return ok && g != strconv.Itoa(gen)
	}
	_, left = proc.KillGroup(ctx, os.Getpid(), pid, another, spare...)
	if testHookKillGroupLeft != nil {
		left = testHookKillGroupLeft(left)
	}
	return left
}

// testHookKillGroupLeft, when set by a test, is given what proc.KillGroup left in
// killGroup, and returns what killGroup returns instead: a process stuck in the kernel
// cannot be made at will.
var testHookKillGroupLeft func(left []int) []int
