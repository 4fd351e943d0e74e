package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/chans"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/storage"
	"github.com/daemonkit/daemonkit/launcher"
	"github.com/daemonkit/daemonkit/notify"
	"github.com/daemonkit/daemonkit/server"
)

// program is one run of the program.
type program struct {
	gen     int      // its generation: 1 for the first copy, one more for each start
	state   string   // starting, ready, draining
	command []string // the command line it runs
	pid     int
	// main is a handle on the process it named its main one (MAINPID=), nil if none: what
	// is signalled in its stead once it serves. It is that very process, opened when the
	// MAINPID= was taken, never a pid that another process may have since; the copy owns
	// it, and forget closes it. Guarded by Supervisor.mu, as is frozen.
	main *proc.Process
	// frozen is set once a stop, drain or kill of the copy has taken main (freezeMain), or
	// forget has dropped it (dropMain): a MAINPID= read after is not taken.
	frozen bool
	// unwatch ends the watch of main (watchMain), and release the status the reaper keeps
	// of main, once main's handle is closed; guarded by Supervisor.mu.
	unwatch, release func()
	// mainGone hands on the end of main while the copy's first process may run on
	// (watchMain): one end waits there for the loop, which checks it is still main's;
	// nil for a copy that never ran.
	mainGone chan mainEnd
	// notifyPath is its notify socket's path, "" if none: settleNotes sends there. Set
	// before it is waited for, and never after.
	notifyPath string
	settles    sync.Map       // settleNotes's waits, by token: chan struct{}
	sock       *notify.Socket // notify: its socket, closed when it ends
	started    time.Time
	exited     <-chan syscall.WaitStatus // the main process's status, once it has ended
	// executed is closed once the exec step has executed the program (--socket, --limit-nofile), so that
	// --ready exec's grace counts from the program's own start; nil when started directly
	// (os.StartProcess returns once the program is executed).
	executed <-chan struct{}
	output   <-chan struct{} // closed once its output is all relayed (both pipes at EOF)
	relays   *relays         // its output's relays, for awaitOutput
	addr     string          // where it serves, if its readiness says
	// failure stands for a restart that never got ready (see failedRestart): why, as its
	// last exit reads ("could not start: ..."); "" for a copy that ran.
	failure string
	// lastWord is what it last said (STATUS=) or its readiness check last met while it
	// started: what the error of a copy not ready in time ends with.
	lastWord atomic.Pointer[string]
	// stopSaid is set while a stop by a signal has been reported (sayStopped) and its end
	// not yet (sayGoesOn), whichever of watchStopped and awaitRunning sees either.
	stopSaid atomic.Bool
	// offRecord is set by the drain that saw it end, before that drain takes it off the
	// record and answers the upgrade: publishCopies leaves it out from then on, though
	// the loop forgets it only later.
	offRecord atomic.Bool
}

// startReady starts the program and waits until it is ready by the configured protocol;
// if it ends first, or the stop comes first, it is gone (killed if need be) when the error
// is returned. It starts nothing if another process already answers where a tcp or http
// check would look (refuseTaken).
func (r *run) startReady() (*program, error) {
	// The first start is bounded by the daemon runtime (start's --ready-timeout, in the
	// foreground too) and, with -d, by its launcher. A restart
	// has none: it is bounded here, by the same timeout, as systemd bounds every start of a
	// unit by TimeoutStartSec; EXTEND_TIMEOUT_USEC= moves it as it moves the first's.
	var within time.Duration
	if r.restarts > 0 {
		within = r.s.cfg.ReadyTimeout
	}
	if err := r.refuseTaken(); err != nil {
		return nil, err
	}
	if path := r.s.cfg.ChildPIDFile; path != "" && r.restarts == 0 {
		if err := checkChildPIDFile(path, r.s.cfg.Credential); err != nil {
			return nil, err // before the program runs: its pid could not be written
		}
	}
	p, err := r.startCopy(within, within > 0, true)
	if err != nil {
		return nil, err
	}
	main := r.makeMain(p)
	server.UpdateRecord(r.ctx, func(rec *instance.Record) {
		rec.Command, rec.Restarts, rec.RestartAt = r.command, r.restarts, time.Time{}
		rec.SetChild(main)
	})
	r.publishCopies()
	return p, nil
}

// GenerationEnv is the environment variable that carries a copy's generation (1 for the
// first copy, one more for each restart or upgrade) to the program and everything it
// starts. Beside the run's mark (instance.InvocationEnv), it tells what a copy that is
// gone left running from what the copies that live, old ones draining after an upgrade
// among them, still use.
const GenerationEnv = "DAEMONKIT_GENERATION"

// listenNotify makes a copy's notify socket in dir (notify.Listen), and says, of a dir
// whose file system cannot hold Unix sockets, so and the fix (storage.Explain).
func listenNotify(dir string) (*notify.Socket, error) {
	sock, err := notify.Listen(dir)
	if err != nil && dir != "" {
		err = storage.Explain(err, dir, "--state-dir (or --pidfile)")
	}
	return sock, err
}

// startCopy starts a new copy of the program (the command line r.command) and waits until
// it is ready, within bound if not 0 (moved later by EXTEND_TIMEOUT_USEC= if extensible),
// without making it the main one: an upgrade does that once it is. If it ends first, or
// the stop comes first, or it is not ready within bound (a *notReadyError), it is gone
// (its group killed) when the error is returned. Each copy with notify readiness has its
// own NOTIFY_SOCKET: another copy's messages cannot count. A copy that is to be the only
// one (only: a first start or a restart, not an upgrade's) and that a stop signal
// overtakes is stopped as a stop stops a ready one (stopEarly) before what is left of it
// is killed.
func (r *run) startCopy(bound time.Duration, extensible, only bool) (*program, error) {
	cfg := r.s.cfg
	var sock *notify.Socket
	env := cfg.Env
	if env == nil {
		env = os.Environ()
	}
	// A service manager's notify socket and watchdog are this process's, not the program's:
	// its pings would never reach anyone, and it would believe it was watched.
	env = withoutEnv(env, "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")
	// So are the sockets of a socket activation that reached this process: the program is
	// handed this supervisor's (Sockets), or none.
	env = withoutEnv(env, "LISTEN_FDS", "LISTEN_FDNAMES", "LISTEN_PID")
	env = append(withoutEnv(env, GenerationEnv), GenerationEnv+"="+strconv.Itoa(r.gen+1))
	if cfg.Ready.Kind == "notify" {
		var err error
		if sock, err = listenNotify(cfg.NotifyDir); err != nil {
			return nil, err
		}
		defer func() {
			if sock != nil {
				sock.Close()
			}
		}()
		env = append(env, "NOTIFY_SOCKET="+sock.Path())
	}
	p, err := r.start(env)
	if err != nil {
		return nil, err
	}
	r.gen++
	p.gen, p.state = r.gen, "starting"
	if sock != nil {
		p.notifyPath = sock.Path()
	}
	r.copies[p.pid] = p
	r.publishCopies()
	if err := r.awaitReady(p, sock, bound, extensible); err != nil {
		if only && errors.Is(err, errStoppedEarly) {
			r.stopEarly(p)
		}
		ws := r.killCopy(p)
		if errors.Is(err, errStoppedEarly) {
			err = &stoppedEarly{ws}
		}
		if nr := (*notReadyError)(nil); errors.As(err, &nr) {
			nr.end, nr.ended = ws, true
		}
		return nil, err
	}
	if sock != nil {
		p.sock, sock = sock, nil
		go r.listenOn(p) // STATUS=, MAINPID= after ready, until it ends
	}
	p.state = "ready"
	r.log.Info("the program is ready", "pid", p.pid, "generation", p.gen, "ready", cfg.Ready.String())
	r.s.dropped.ready(r.log)
	return p, nil
}

// start starts the program in this process's group, with /dev/null as stdin and its
// output relayed into the log, and no descriptor but those three.
func (r *run) start(env []string) (*program, error) {
	cfg := r.s.cfg
	command := r.command
	path := cfg.Path
	if path == "" || !sameCommand(command, cfg.Command) {
		var err error
		if path, err = exec.LookPath(command[0]); err != nil {
			return nil, explainExec(command[0], err, cfg.Credential) // "exec: "x": executable file not found in $PATH"
		}
	}
	if !filepath.IsAbs(path) {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, err
		}
		path = abs
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", command[0], launcher.ExplainLimit(err))
	}
	defer null.Close()
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start %s: its output pipe: %w", command[0], launcher.ExplainLimit(err))
	}
	// In a text log the program's stdout and stderr share one pipe, as they share a
	// terminal or 2>&1 and systemd's journal stream, so that its lines keep the order it
	// wrote them in (two pipes read apart could put an error before the line it followed).
	// A JSON log names each line's stream, and takes one pipe each.
	errR, errW := outR, outW
	if cfg.JSONLines {
		if errR, errW, err = os.Pipe(); err != nil {
			outR.Close()
			outW.Close()
			return nil, fmt.Errorf("start %s: its stderr pipe: %w", command[0], launcher.ExplainLimit(err))
		}
	}
	argv, files := command, []*os.File{null, outW, errW}
	sys := &syscall.SysProcAttr{Credential: cfg.Credential}
	dieWithSupervisor(sys)
	viaExecStep := len(r.sockets) > 0 || cfg.OpenFiles > 0
	if viaExecStep {
		argv = append([]string{os.Args[0], ExecCommand, path}, command...) // this binary's own name: it recognises the exec step
		path = cfg.ExecStep
	}
	if cfg.OpenFiles > 0 {
		env = append(env, ExecOpenFilesEnv+"="+strconv.FormatUint(cfg.OpenFiles, 10))
	}
	if len(r.sockets) > 0 {
		// The exec step sets LISTEN_PID to the program's own pid; the sockets are
		// descriptors 3 and up, and the copy leads its own process group.
		env = append(env, activationEnv(r.sockets)...)
		for _, b := range r.sockets {
			files = append(files, b.file)
		}
		sys.Setpgid = true
	}
	if cfg.Credential != nil && hasTerminal() {
		// Run as another user, the program must not share this process's controlling
		// terminal (a foreground start's, or nohup's): it could read and write it, and push
		// keystrokes into the shell of whoever started it (TIOCSTI), which su and sudo's
		// use_pty guard against. In a session of its own it has none; it leads its own
		// process group, as a copy with sockets does.
		sys.Setsid, sys.Setpgid = true, false
	}
	var execR, execW *os.File // the exec step's report: EOF alone once the program runs
	if viaExecStep {
		if execR, execW, err = os.Pipe(); err != nil {
			closePair(outR, errR)
			closePair(outW, errW)
			return nil, fmt.Errorf("start %s: the exec step's pipe: %w", command[0], launcher.ExplainLimit(err))
		}
		files = append(files, execW)
		env = append(env, ExecReportEnv+"="+strconv.Itoa(len(files)-1))
	}
	pid, exited, err := r.reaper.start(path, argv, &os.ProcAttr{Env: env, Files: files, Sys: sys})
	closePair(outW, errW)
	if execW != nil {
		execW.Close()
	}
	if err != nil {
		closePair(outR, errR)
		if execR != nil {
			execR.Close()
		}
		return nil, fmt.Errorf("start %s: %w", command[0], explainExec(path, err, cfg.Credential))
	}
	var executed chan struct{}
	if execR != nil {
		executed = make(chan struct{})
		go func() {
			defer execR.Close()
			if b, _ := io.ReadAll(execR); len(b) == 0 {
				close(executed) // its exec succeeded; a failure was written, and its exit follows
			}
		}()
	}
	output, own, out := make(chan struct{}), &relays{}, r.s.out // r.s.out now: an upgrade swaps it afterwards
	relayTo := func(pipe *os.File, w io.Writer) {
		h := newHandoff(w, r.relaying.gaveUp, own, r.relaying)
		relay(pipe, h)
		h.close()
	}
	r.relaying.running.Add(1)
	go func() {
		defer r.relaying.running.Done()
		defer close(output)
		if !cfg.JSONLines {
			relayTo(outR, out) // stdout and stderr, one pipe
			return
		}
		stderrDone := make(chan struct{})
		go func() { relayTo(errR, &jsonLines{out: out, stream: "stderr", pid: pid}); close(stderrDone) }()
		relayTo(outR, &jsonLines{out: out, stream: "stdout", pid: pid})
		<-stderrDone
	}()
	r.log.Debug("started the program", "pid", pid, "command", command)
	p := &program{pid: pid, command: command, started: time.Now(), exited: exited, executed: executed, output: output, relays: own,
		mainGone: make(chan mainEnd, 1)}
	if cfg.Credential != nil {
		if err := checkCredential(pid, cfg.Credential); err != nil {
			_ = r.reaper.kill(pid, exited, syscall.SIGKILL) // our child, unless reaped already
			<-exited
			return nil, err
		}
	}
	return p, nil
}

// closePair closes a, and b unless it is a: the program's stdout and stderr pipe, one
// or two.
func closePair(a, b *os.File) {
	a.Close()
	if b != a {
		b.Close()
	}
}

// execReportWait bounds the wait for the exec step's report before --ready exec's grace
// begins anyway: an exec step of a binary from before the report (a downgrade on disk)
// leaves its descriptor to the program, and no EOF ever comes.
const execReportWait = 5 * time.Second

// errStoppedEarly: a stop came before the program was ready.
var errStoppedEarly = errors.New("stopped before the program was ready")

// stoppedEarly is the error of a copy that a stop overtook before it was ready
// (errors.Is errStoppedEarly), with its wait status once it is gone.
type stoppedEarly struct{ ws syscall.WaitStatus }

func (e *stoppedEarly) Error() string {
	return fmt.Sprintf("%v: %s", errStoppedEarly, describe(e.ws))
}

func (e *stoppedEarly) Unwrap() error { return errStoppedEarly }

// ended is the error for a program that ended before it was ready. One that exited 0 has
// most often forked into the background itself, as nginx and redis-server can, and is
// told the two ways to supervise it; one that failed under the limit on open files
// Config.OpenFiles set (--limit-nofile) is told that flag, whose value may be why.
func (r *run) ended(ws syscall.WaitStatus) error {
	return &endedEarly{ws: ws, openFiles: r.s.cfg.OpenFiles}
}

// endedEarly is ended's error: it keeps the program's wait status, which a restart that
// failed records as the program's last exit, and the limit on open files it ran under.
type endedEarly struct {
	ws        syscall.WaitStatus
	openFiles uint64
}

func (e *endedEarly) Error() string {
	if e.ws.Exited() && e.ws.ExitStatus() == 0 {
		return fmt.Sprintf("the program %s before it was ready: a supervised program must keep running; "+
			"if it forks into the background itself, keep it in the foreground (nginx -g 'daemon off;', "+
			"redis-server --daemonize no) or give --ready pidfile:PATH (the pidfile it writes)", describe(e.ws))
	}
	if e.openFiles > 0 {
		return fmt.Sprintf("the program %s before it was ready; it ran with --limit-nofile %d: if its log says too many open files, give --limit-nofile a higher value, or leave it out", describe(e.ws), e.openFiles)
	}
	return fmt.Sprintf("the program %s before it was ready", describe(e.ws))
}

// endedStatus is the wait status of a program that ended before it was ready (err from
// ended), or, for a program that failed to get ready otherwise (not in time, not started
// at all), failedStatus.
func endedStatus(err error) syscall.WaitStatus {
	if e := (*endedEarly)(nil); errors.As(err, &e) {
		return e.ws
	}
	return failedStatus
}

// failedRestart stands in for the copy of a restart that did not get ready (err from
// startReady): it has ended, with the status of one that ended before it was ready, or
// failedStatus. One that did not end by itself (it could not be executed, was not ready in
// time) keeps the reason as its last exit, as a first start that fails does, not a
// made-up "exited with status 1".
func failedRestart(err error) *program {
	p := &program{started: time.Now(), exited: closedStatus(endedStatus(err))}
	if e := (*endedEarly)(nil); !errors.As(err, &e) {
		p.failure = instance.CouldNotStart + err.Error()
	}
	return p
}

// testHookBeforeReadySelect, when set by a test, runs in awaitReady before it waits, with
// the channel the readiness's outcome comes on (its length says whether it has come).
var testHookBeforeReadySelect func(result chan error)

// awaitReady waits for the readiness the configuration asks for, the program's end, a
// stop, or bound (if not 0; moved later by EXTEND_TIMEOUT_USEC= if extensible), whichever
// comes first.
func (r *run) awaitReady(p *program, sock *notify.Socket, bound time.Duration, extensible bool) error {
	cfg := r.s.cfg
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	var timeout <-chan time.Time
	var dl *readyDeadline
	if bound > 0 {
		dl = newReadyDeadline(bound)
		defer dl.stop()
		timeout = dl.t.C
	}
	if cfg.Ready.Kind == "pidfile" {
		if err := r.awaitForked(p, timeout); err != nil {
			return dl.notReady(err, cfg.Ready, p) // its first process exits: that is the point
		}
		return nil
	}
	result := make(chan error, 1)
	switch cfg.Ready.Kind {
	case "", "exec":
		go func() {
			if p.executed != nil { // the grace is the program's, not the exec step's
				select {
				case <-p.executed:
				case <-time.After(execReportWait): // an exec step of a binary that does not report
				case <-ctx.Done():
					return
				}
			}
			select {
			case <-time.After(cfg.ReadyGrace):
				result <- r.awaitRunning(ctx, p)
			case <-ctx.Done():
			}
		}()
	case "notify":
		var extend func(time.Duration)
		if extensible {
			extend = dl.extend
		}
		go func() { result <- r.runningOnce(ctx, p, r.awaitNotify(ctx, p, sock, extend)) }()
		go r.watchStopped(ctx, p)
	default:
		go func() { result <- r.runningOnce(ctx, p, r.probe(ctx, p)) }()
		go r.watchStopped(ctx, p)
	}
	if testHookBeforeReadySelect != nil {
		testHookBeforeReadySelect(result)
	}
	outcome := func(err error) error {
		if byGrace := cfg.Ready.Kind == "" || cfg.Ready.Kind == "exec"; err == nil && byGrace {
			// A program whose grace passed is ready only if it still runs: a supervisor late
			// to look (a loaded machine) finds both its grace over and its end, and select
			// would pick either at random.
			if ws, ended := chans.Came(p.exited); ended {
				p.exited = closedStatus(ws)
				return r.ended(ws)
			}
		}
		return err
	}
	for {
		select {
		case err := <-result:
			return outcome(err)
		case ws := <-p.exited:
			p.exited = closedStatus(ws)
			return r.ended(ws)
		case end := <-p.mainGone:
			// The main process it named (MAINPID=) ended before it was ready: a failed
			// start, as systemd has it, not a wait for a READY=1 that nothing will send. (One
			// whose READY=1 the loop took first is ready, and the same end ends it at once:
			// wait.) One it named another in place of since may end.
			if r.s.stillNames(p, end.h) {
				return &mainEndedEarly{end}
			}
		case <-timeout:
			// Its readiness may have come as the timeout passed, both found by a supervisor
			// late to look: select picks either at random, and a program that got ready would
			// be killed as not ready in time.
			if err, came := chans.Came(result); came {
				return outcome(err)
			}
			return dl.notReady(errNotReadyInTime, cfg.Ready, p)
		case <-r.ctx.Done():
			return errStoppedEarly
		}
	}
}

// readyDeadline bounds a copy's start: its timer fires once the deadline passes, which
// extend may move later, never earlier.
type readyDeadline struct {
	began time.Time
	t     *time.Timer
	mu    sync.Mutex
	at    time.Time
}

func newReadyDeadline(d time.Duration) *readyDeadline {
	now := time.Now()
	return &readyDeadline{began: now, at: now.Add(d), t: time.NewTimer(d)}
}

// extend moves the deadline to d from now, if that is later (EXTEND_TIMEOUT_USEC=).
func (dl *readyDeadline) extend(d time.Duration) {
	dl.mu.Lock()
	defer dl.mu.Unlock()
	if at := time.Now().Add(d); at.After(dl.at) {
		dl.at = at
		dl.t.Reset(d)
	}
}

func (dl *readyDeadline) stop() { dl.t.Stop() }

// notReady is err, or, when err says the copy p was not ready in time (errNotReadyInTime),
// a *notReadyError that says within how long, and what p last said or met.
func (dl *readyDeadline) notReady(err error, ready Readiness, p *program) error {
	if dl == nil || !errors.Is(err, errNotReadyInTime) {
		return err
	}
	dl.mu.Lock()
	within := dl.at.Sub(dl.began)
	dl.mu.Unlock()
	e := &notReadyError{within: within.Round(time.Millisecond), ready: ready}
	if w := p.lastWord.Load(); w != nil {
		e.last = *w
	}
	if f := (*forkedNotReady)(nil); errors.As(err, &f) {
		e.last = f.why
	}
	return e
}

// notReadyError: a copy was not ready within its bound, and is gone (with its group).
type notReadyError struct {
	within time.Duration
	ready  Readiness
	last   string             // what it last said or met ("its check last failed: ..."); "" if nothing
	end    syscall.WaitStatus // how it ended once it was called off (killCopy), if ended
	ended  bool
}

func (e *notReadyError) Error() string {
	msg := fmt.Sprintf("not ready within %s (--ready %s): %s", e.within, e.ready, e.outcome())
	if e.last != "" {
		msg += "; " + e.last
	}
	return msg
}

// outcome says what became of the copy: "killed it" where SIGKILL ended it (or how it
// ended is not known yet), and otherwise how it ended, "stopped it: it exited with status
// 0": a copy with sockets is sent its stop signal first, and may finish what it accepted
// and exit of itself.
func (e *notReadyError) outcome() string {
	switch {
	case !e.ended || e.end.Signaled() && e.end.Signal() == syscall.SIGKILL:
		return "killed it"
	case e.end.Signaled():
		return "stopped it: it was " + describe(e.end)
	}
	return "stopped it: it " + describe(e.end)
}

// Is makes a *notReadyError errNotReadyInTime.
func (e *notReadyError) Is(target error) bool { return target == errNotReadyInTime }

// said keeps what p last said or met while it starts (see program.lastWord).
func (p *program) said(what string) { p.lastWord.Store(&what) }

// mainPID is the program's main pid now.
func (s *Supervisor) mainPID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.main
}

// writeChildPIDFile writes the program's pid to ChildPIDFile, if set, as a pidfile is
// written (its decimal pid and a newline), replacing only an empty or pidfile-shaped file.
// It returns once the file is written, or at once when a stop has begun: see childPIDFileOp.
func (r *run) writeChildPIDFile(pid int) {
	path := r.s.cfg.ChildPIDFile
	if path == "" {
		return
	}
	r.childPIDFileOp(false, func() {
		if err := writeChildPID(path, pid, r.s.cfg.Credential); err != nil {
			r.log.Error("could not write the child pidfile", "error", err)
			return
		}
		r.childPID = pid
	})
}

// writeChildPID is writePIDFile; a test may replace it (a frozen disk).
var writeChildPID = writePIDFile

// removeChildPIDFile removes ChildPIDFile if it is still the file this run last wrote
// there, holding what it wrote: a file that another writer has taken over since, or
// anything put in its place (a FIFO, whose read would hold the supervisor's stop until it
// is killed; a symlink; another user's file), is left to it (see removePIDFile). It returns
// once that is done, or at once when a stop has begun, unless last (the run's end, after
// which nothing would remove it): see childPIDFileOp.
func (r *run) removeChildPIDFile(last bool) {
	path := r.s.cfg.ChildPIDFile
	if path == "" {
		return
	}
	r.childPIDFileOp(last, func() {
		if r.childPID != 0 && !removePIDFile(path, r.childPID, r.s.cfg.Credential) {
			if _, err := os.Lstat(path); err == nil {
				r.log.Warn("left the child pidfile: it is not the file this run wrote, or its directory is no longer safe", "path", path, "pid", r.childPID)
			}
		}
	})
}

// childPIDFileOp runs op, a write or a removal of ChildPIDFile, after those before it, on
// a thread that takes no signal (proc.GoDeaf): its disk may be frozen (a hung NFS server),
// and a thread asleep behind it must not take the daemon's stop signal. It waits for op to
// end, unless a stop has begun and wait is false: the stop then goes on at once (the
// program gets its stop signal), and op ends beside it, at the thaw. r.childPID is op's
// alone.
func (r *run) childPIDFileOp(wait bool, op func()) {
	done := make(chan struct{})
	proc.GoDeaf(func() {
		defer close(done)
		r.childPIDMu.Lock()
		defer r.childPIDMu.Unlock()
		op()
	})
	var stop <-chan struct{}
	if r.ctx != nil && !wait {
		stop = r.ctx.Done()
	}
	select {
	case <-done:
	case <-stop:
	}
}

// sameCommand reports whether a and b are the same command line.
func sameCommand(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// withoutEnv is env without the variables keys.
func withoutEnv(env []string, keys ...string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(keys, k) {
			out = append(out, kv)
		}
	}
	return out
}
