package cli

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kong"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/logfile"
	"github.com/daemonkit/daemonkit/pidfile"
)

// StatusCmd reports on an instance with LSB exit codes. It never changes anything on disk.
type StatusCmd struct {
	InstanceTarget
	JSON bool `help:"Print the status as one JSON object."`
}

// Validate takes the name given as the argument.
func (c *StatusCmd) Validate(kctx *kong.Context) error { return c.takeName(kctx) }

// statusReport is status's result, in text or JSON.
type statusReport struct {
	Name          string    `json:"name"`
	State         string    `json:"state"` // running, starting, stopping, restarting, stale, not running, unknown
	Stopped       bool      `json:"stopped_by_signal,omitempty"`
	PID           int       `json:"pid,omitempty"`
	FilePID       int       `json:"pidfile_pid,omitempty"`
	Strategy      string    `json:"strategy,omitempty"`
	StartedAt     time.Time `json:"started_at,omitzero"`
	UptimeSeconds float64   `json:"uptime_seconds,omitempty"`
	Listen        string    `json:"listen,omitempty"`
	Ready         string    `json:"ready,omitempty"` // a supervised program's --ready: with tcp: and http:, Listen is where the check reached it
	Log           string    `json:"log,omitempty"`
	PIDFile       string    `json:"pidfile"`
	DroppedLines  uint64    `json:"dropped_log_lines,omitempty"`
	DroppedCause  string    `json:"dropped_log_cause,omitempty"`
	LogProblem    string    `json:"log_problem,omitempty"` // why its log could not be reopened at its path
	Command       []string  `json:"command,omitempty"`     // a supervised program's command line
	ChildPID      int       `json:"child_pid,omitempty"`   // its pid now
	// ChildUptimeSeconds is how long the program has run: since its last restart, where
	// UptimeSeconds counts since its supervisor started.
	ChildUptimeSeconds float64 `json:"child_uptime_seconds,omitempty"`
	// ChildStopped says the program's process is stopped by a signal (SIGSTOP, SIGTSTP):
	// it serves nothing until SIGCONT, though its supervisor runs.
	ChildStopped bool `json:"child_stopped_by_signal,omitempty"`
	// ChildTracer is the pid of the process that traces the program (ptrace: strace -p,
	// gdb): it runs as far as its tracer lets it, and SIGCONT does not let it go.
	ChildTracer int `json:"child_tracer_pid,omitempty"`
	// ChildEnded says the program's process the record names (ChildPID) has ended, while
	// its supervisor runs: a zombie not reaped yet, or gone (a main process the program
	// named with MAINPID=, whose wrapper runs on).
	ChildEnded  bool            `json:"child_ended,omitempty"`
	childEnded  bool            // the program's process has ended, not reaped yet
	childGone   bool            // the program's process the record names has ended and is gone
	childParent int             // the program's process's parent, when not the daemon (a wrapper)
	Restarts    int             `json:"restarts,omitempty"`
	RestartAt   time.Time       `json:"restart_at,omitzero"` // restarting: when the program is started again
	LastExit    string          `json:"last_exit,omitempty"` // how it last ended
	StoppedAt   time.Time       `json:"stopped_at,omitzero"` // when it last ended, if not running
	Failed      bool            `json:"failed,omitempty"`    // not running: it ended on its own, not by a stop (list's "failed")
	Sockets     []string        `json:"sockets,omitempty"`
	Copies      []instance.Copy `json:"copies,omitempty"`       // during an upgrade: each copy
	LeftRunning []int           `json:"left_running,omitempty"` // not running: what its last run left running
	Problem     string          `json:"problem,omitempty"`
	StartPID    int             `json:"start_pid,omitempty"` // starting, its daemon not launched yet: the start command's pid
	// Build is the build its running daemon runs (instance.Record.Build; "" when its
	// record is an older daemonkit's, which did not say); BuildDiffers says it is not this
	// binary's build, nor is one that did not say. Told of a daemon that is running,
	// restarting or stopping.
	Build        string `json:"build,omitempty"`
	BuildDiffers bool   `json:"build_differs,omitempty"`
	// BinaryReplaced says the path the running daemon's binary was run from was removed or
	// replaced since it started (/proc/PID/exe reads "(deleted)", and is not this binary's
	// file), told where Build cannot tell it from this binary's: a go build over it, a go run
	// binary gone, two builds both "dev". Only for a daemon of this program's own.
	BinaryReplaced bool `json:"binary_replaced,omitempty"`
	// BinaryGoRun says, with BinaryReplaced, that the binary was one go run built
	// (goRunBuild): its temporary build, which go removed when that go run ended, or the
	// build cache's copy, dropped since. selfGoRun says this binary is one go run built too.
	BinaryGoRun bool   `json:"binary_go_run,omitempty"`
	selfGoRun   bool   // this process runs a temporary build of go run
	binary      string // the path the daemon's binary was run from, when BinaryReplaced
	thisBuild   string // this binary's build, once Build is told
	stop        string // the command line that stops this instance, for the advice
	restart     string // the command line that restarts it, for the advice on a build that differs
	detached    bool   // LogProblem says its log is no longer at its path: Run adds the reopen that mends it
	foreign     bool   // the stale file is not a pidfile: nothing of ours removes it
	owner       int    // the stale file's owner when it is not this user (stop leaves it), else -1
}

// Run prints the status and exits 0 (running), 1 (stale pidfile), 3 (not running) or 4,
// whether or not the status could be written (a write error is said on stderr).
func (c *StatusCmd) Run(app *App) error {
	paths, err := c.target(app, "status")
	if ee := (*exitError)(nil); errors.As(err, &ee) {
		return err // several instances and no name: a usage error
	}
	if err != nil {
		return withCode(exitCannotTell, err)
	}
	rep := statusReport{Name: paths.Name, PIDFile: paths.PIDFile, State: "unknown"}
	st, rec, recErr, err := instance.InspectLastRun(paths)
	code := exitCannotTell
	if err != nil {
		rep.Problem = err.Error()
	} else {
		code = rep.fill(st)
		if code == exitNotRunning || code == exitFailed {
			rep.fillLastRun(paths, st.Pidfile, rec, recErr)
		}
		if note := elsewhereNote(app, paths, "status"); (rep.State == "not running" || rep.State == "stale") && rep.Problem == "" && note != "" {
			rep.Problem = note
		}
		if st.Record != nil && !st.Record.ByLock && (rep.State == "running" || rep.State == "restarting" || rep.State == "stopping") {
			same := st.Record.Program == "" || st.Record.Program == app.Config.Name
			rep.noteBuild(st.Record.Build, buildOf(app.Config), same)
			if same && !rep.BuildDiffers {
				rep.binary, rep.BinaryReplaced = replacedBinary(rep.PID)
				if rep.BinaryReplaced && goRunBuild(rep.binary) {
					rep.BinaryGoRun, rep.selfGoRun = true, goRunBuild(currentExecutable())
				}
			}
		}
	}
	if rep.State == "starting" || rep.State == "stale" || len(rep.LeftRunning) > 0 {
		rep.stop = app.commandFor("stop", paths) // for the advice, which only these states give
	}
	if rep.BuildDiffers || rep.BinaryReplaced {
		rep.restart = app.commandFor("restart", paths)
	}
	if rep.detached {
		rep.LogProblem += fmt.Sprintf(": '%s' opens it again", app.commandFor("reopen", paths))
	}
	out := &writeOnce{w: app.Stdout}
	if c.JSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep) // out keeps a write's error
	} else {
		rep.writeText(out)
	}
	if out.err != nil {
		// Said on stderr; the exit code is still the state's, which a script acts on.
		return withCode(code, fmt.Errorf("write status: %w", out.err))
	}
	if code != exitOK {
		return withCode(code, nil)
	}
	return nil
}

// writeOnce writes to w until a write fails, and keeps that write's error.
type writeOnce struct {
	w   io.Writer
	err error
}

func (o *writeOnce) Write(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.w.Write(p)
	o.err = err
	return n, err
}

// fill copies what Inspect saw and returns the LSB exit code it means.
func (r *statusReport) fill(st instance.Status) int {
	r.FilePID = st.Pidfile.FilePID
	if err := st.ContentProblem(); err != nil {
		r.Problem = err.Error()
	}
	switch {
	case st.Running() && st.Starting:
		// It holds its lock, but has not said it is ready: it serves nothing yet, and may
		// never. systemctl status says 3 of a unit that is activating too.
		r.State, r.PID, r.Stopped = "starting", st.PID(), st.Stopped
		return exitNotRunning
	case st.Starting:
		// A start command launches its daemon, which holds no pidfile yet.
		r.State, r.StartPID, r.Stopped = "starting", st.StartPID, st.Stopped
		return exitNotRunning
	case st.Running():
		r.State, r.PID, r.Stopped = "running", st.PID(), st.Stopped
		if st.RecordErr != nil && r.Problem == "" {
			r.Problem = unreadableRecordNote(st.Paths, st.RecordErr, true)
		}
		switch {
		case st.Unlocked && st.Record.ByLock:
			r.Problem = byLockNote(r.PID)
		case st.Unlocked:
			r.Problem = fmt.Sprintf("its pidfile does not show it (deleted or replaced by hand); its record proves pid %d by its start time", r.PID)
		// A daemon in another pid namespace (a container's) writes there the pid it has
		// there, as its record does: no mismatch to tell.
		case st.Pidfile.Mismatch() && st.Pidfile.ContentErr == nil && !(st.Record != nil && st.Record.PID == st.Pidfile.FilePID):
			r.Problem = fmt.Sprintf("the pidfile names pid %d but pid %d holds its lock", st.Pidfile.FilePID, st.Pidfile.PID)
		}
		if rec := st.Record; rec != nil {
			r.Strategy, r.StartedAt, r.Listen, r.Ready, r.Log = rec.Strategy, rec.StartedAt, rec.Listen, cmp.Or(rec.Ready, recordedReady(rec)), rec.Log
			r.UptimeSeconds = st.Uptime.Seconds()
			if rec.CalledOffStart() {
				r.StartedAt = time.Time{} // it never got ready: no uptime to claim
			}
			r.DroppedLines, r.DroppedCause, r.LogProblem = rec.DroppedLogLines, rec.DroppedLogCause, rec.LogProblem
			if r.LogProblem == "" {
				r.LogProblem = logDetached(r.PID, rec.LogFD, rec.Log)
				r.detached = r.LogProblem != ""
			}
			r.Command, r.ChildPID, r.Restarts, r.LastExit = exactCommand(rec), rec.ChildPID, rec.Restarts, rec.LastExit
			if age, ok := proc.Age(r.ChildPID); r.ChildPID > 0 && ok {
				r.ChildUptimeSeconds = age.Seconds()
			}
			prog := st.Program()
			r.ChildStopped, r.childEnded, r.childGone = prog.Stopped, prog.Ended, prog.Gone
			r.ChildEnded = prog.Ended || prog.Gone
			if prog.Parent != st.PID() {
				r.childParent = prog.Parent
			}
			if prog.PID > 0 && !prog.Ended {
				r.ChildTracer = proc.TracerPID(prog.PID)
			}
			r.Sockets, r.Copies = rec.Sockets, rec.Copies
			if rec.State == instance.StateStopping {
				// It drains what it was doing after a stop signal, and takes nothing new.
				r.State = "stopping"
				return exitNotRunning
			}
			if rec.ProgramEnded() {
				// Its supervisor runs, but its program does not: it serves nothing until
				// the back-off ends, and may never. systemctl status says 3 of a unit in
				// auto-restart too.
				r.State = "restarting"
				if _, starting := startingCopy(rec); !starting {
					r.RestartAt = rec.RestartAt // past, once its copy is starting
				}
				return exitNotRunning
			}
		}
		return exitOK
	case st.Pidfile.State == pidfile.Stale:
		r.foreign, r.owner = st.Pidfile.Foreign, otherOwner(r.PIDFile)
		r.State = "stale"
		return exitFailed
	default:
		r.State = "not running"
		return exitNotRunning
	}
}

// noteBuild tells the build the running daemon's record names, recorded, and whether it
// is not this binary's build, this. Builds of another program (sameProgram false: an
// embedding program's instance seen by daemonkit, or the reverse) are not compared, nor
// a bare "dev" (a build that says nothing of its source: go run, -buildvcs=false) with
// another build without a release version, which it may be; a release is another build.
func (r *statusReport) noteBuild(recorded, this string, sameProgram bool) {
	r.Build, r.thisBuild = recorded, this
	cannotTell := (recorded == devVersion && strings.HasPrefix(this, devVersion)) ||
		(this == devVersion && strings.HasPrefix(recorded, devVersion))
	r.BuildDiffers = sameProgram && recorded != this && !cannotTell
}

// writeBuild says which build the daemon runs, and, when that is not this binary's or its
// binary's file was replaced since it started, that a restart runs this one.
func (r *statusReport) writeBuild(w io.Writer) {
	switch {
	case r.thisBuild == "": // not told
	case r.BinaryGoRun && r.selfGoRun:
		printField(w, "build", fmt.Sprintf("%s; it runs a binary that go run built, %s, removed since (go run removes its temporary build when it ends, and go's build cache its old copies); '%s' through go run, as this status ran, runs it on the binary go run runs then: a new build of the source, removed in its turn when that go run ends, or the build cache's copy of an unchanged one; go build a binary to run one that stays",
			cmp.Or(r.Build, "not recorded"), r.binary, r.restart))
	case r.BinaryGoRun:
		printField(w, "build", fmt.Sprintf("%s; it runs a binary that go run built, %s, removed since (go run removes its temporary build when it ends, and go's build cache its old copies); '%s' runs it on this binary",
			cmp.Or(r.Build, "not recorded"), r.binary, r.restart))
	case r.BinaryReplaced:
		printField(w, "build", fmt.Sprintf("%s; the path it started from, %s, was removed or replaced since; '%s' runs it on this binary", cmp.Or(r.Build, "not recorded"), r.binary, r.restart))
	case !r.BuildDiffers:
		if r.Build != "" {
			printField(w, "build", r.Build)
		}
	case r.Build == "":
		printField(w, "build", fmt.Sprintf("not recorded: a build older than this binary's (%s) started it; '%s' runs it on this one", r.thisBuild, r.restart))
	default:
		printField(w, "build", fmt.Sprintf("%s, not this binary's (%s); '%s' runs it on this one", r.Build, r.thisBuild, r.restart))
	}
}

// otherOwner is the owner of the file at path when that is not this process's effective
// user (whose stop refuses to remove it), else -1 (or when it cannot be told).
func otherOwner(path string) int {
	fi, err := os.Lstat(path)
	if err != nil {
		return -1
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) == os.Geteuid() {
		return -1
	}
	return int(st.Uid)
}

// fillLastRun adds, for an instance that is not running (stale or not), what its last run
// left running, and, from rec, the record of that run (instance.InspectLastRun's; nil when
// there is none, or it cannot be read: recErr), its program, how it ended and its log,
// with the log lines it dropped and its last log problem: pm2 and systemd show as much for
// a program that crashed. A stale pidfile's run is told only by a record that names its
// pid (instance.OfStalePidfile): one killed before it was ready left none.
func (r *statusReport) fillLastRun(paths instance.Paths, pf pidfile.Status, rec *instance.Record, recErr error) {
	if recErr != nil {
		r.Problem = unreadableRecordNote(paths, recErr, false) // a damaged record, or another user's: say so
	}
	if rec == nil {
		return
	}
	r.LeftRunning = instance.Leftovers(paths, *rec)
	if dir, _, goesOn, copied := copiedRun(*rec, paths.Record); copied {
		// Of the run that goes on where it was copied from (the note says where), or that
		// ended there since, unseen: not crashed, nor failed, whatever its stale pidfile
		// here, or a stop here since, made of it.
		r.Command, r.Log = exactCommand(rec), rec.Log
		if !goesOn {
			r.LastExit = endedUnseen(dir)
		}
		return
	}
	switch r.State {
	case "not running":
		r.Failed = rec.EndedFailed()
	case "stale":
		if !instance.OfStalePidfile(*rec, pf) {
			return
		}
	default:
		return
	}
	r.Strategy, r.StartedAt, r.StoppedAt, r.Log = rec.Strategy, rec.StartedAt, rec.StoppedAt, movedLog(*rec, paths.Record)
	r.Command, r.Restarts, r.LastExit = exactCommand(rec), rec.Restarts, instance.EndedHow(*rec)
	r.DroppedLines, r.DroppedCause, r.LogProblem = rec.DroppedLogLines, rec.DroppedLogCause, rec.LogProblem
}

func (r *statusReport) writeText(w io.Writer) {
	switch r.State {
	case "running":
		fmt.Fprintf(w, "%s is running (pid %d", r.Name, r.PID)
		if r.Strategy != "" {
			fmt.Fprintf(w, ", strategy %s", r.Strategy)
		}
		if !r.StartedAt.IsZero() {
			fmt.Fprintf(w, ", up %s", upFor(r.UptimeSeconds))
		}
		fmt.Fprintln(w, ")")
		if r.Stopped && r.PID > 0 {
			fmt.Fprintln(w, "  "+daemonStoppedBySignal(r.PID))
		}
		r.writeDropped(w)
		r.writeProgram(w)
		if r.Restarts > 0 || r.LastExit != "" {
			printField(w, "restarts", fmt.Sprintf("%d, last exit: %s", r.Restarts, orNone(r.LastExit)))
		}
		for _, c := range r.Copies {
			if len(r.Copies) > 1 || c.State != "ready" {
				printField(w, "copy", fmt.Sprintf("generation %d, pid %d, %s", c.Generation, c.PID, c.State))
			}
		}
		printField(w, "sockets", strings.Join(r.Sockets, " "))
		if probed(r.Ready) {
			printField(w, "answers", r.Listen) // what the check reached: daemonkit does not know the program listens there
		} else {
			printField(w, "listen", r.Listen)
		}
		r.writeLog(w)
		printField(w, "pidfile", showPath(r.PIDFile))
		r.writeBuild(w)
		printField(w, "note", r.Problem)
	case "stopping":
		fmt.Fprintf(w, "%s is stopping (pid %d): it finishes its work in flight, and is gone within its --shutdown-timeout\n", r.Name, r.PID)
		r.writeDropped(w)
		r.writeProgram(w) // a supervised program drains too, and is stopped with its supervisor
		r.writeLog(w)
		printField(w, "pidfile", showPath(r.PIDFile))
		r.writeBuild(w)
		printField(w, "note", r.Problem)
	case "starting":
		switch {
		case r.PID == 0 && r.Stopped:
			fmt.Fprintf(w, "%s is starting (start pid %d), but that start command is stopped by a signal (SIGSTOP or SIGTSTP: Ctrl-Z): it says nothing, and holds the start lock, until SIGCONT ('kill -CONT %d'); '%s' calls the start off\n", r.Name, r.StartPID, r.StartPID, r.stop)
		case r.PID == 0:
			fmt.Fprintf(w, "%s is starting (start pid %d): its daemon is on its way; '%s' calls the start off\n", r.Name, r.StartPID, r.stop)
		default:
			fmt.Fprintf(w, "%s is starting (pid %d): it is not ready yet; '%s' calls the start off\n", r.Name, r.PID, r.stop)
		}
		if r.Stopped && r.PID > 0 {
			fmt.Fprintf(w, "  stopped by a signal (SIGSTOP or SIGTSTP): it gets nowhere until SIGCONT ('kill -CONT %d')\n", r.PID)
		}
		printField(w, "pidfile", showPath(r.PIDFile))
		printField(w, "note", r.Problem)
	case "restarting":
		if c, starting := startingCopy(&instance.Record{Copies: r.Copies}); starting {
			fmt.Fprintf(w, "%s is not running: its program ended (%s) and restart %d is starting (pid %d): it is not ready yet; its supervisor is pid %d\n",
				r.Name, orNone(r.LastExit), r.Restarts+1, c.PID, r.PID)
		} else if r.RestartAt.IsZero() {
			// An older daemonkit's supervisor, which says not when (Record.ProgramEnded).
			fmt.Fprintf(w, "%s is not running: its program ended (%s), and its supervisor (pid %d) has not started it again yet\n",
				r.Name, orNone(r.LastExit), r.PID)
		} else {
			fmt.Fprintf(w, "%s is not running: its program ended (%s) and is started again in %s (restart %d); its supervisor is pid %d\n",
				r.Name, orNone(r.LastExit), roundDuration(max(time.Until(r.RestartAt), 0)), r.Restarts+1, r.PID)
		}
		r.writeDropped(w)
		printField(w, "program", shellJoin(r.Command))
		r.writeLog(w)
		printField(w, "pidfile", showPath(r.PIDFile))
		r.writeBuild(w)
		printField(w, "note", r.Problem)
	case "stale":
		fmt.Fprintf(w, "%s is not running, but its pidfile %s is left behind (stale", r.Name, showPath(r.PIDFile))
		if r.FilePID != 0 {
			fmt.Fprintf(w, ", names pid %d", r.FilePID)
		}
		switch {
		case r.foreign:
			fmt.Fprintln(w, "); it is not a pidfile, so nothing removes it: remove it yourself if it is yours")
		case r.owner >= 0:
			fmt.Fprintf(w, "); it belongs to uid %d, so stop leaves it: remove it by hand (as that user, or root)\n", r.owner)
		default:
			fmt.Fprintf(w, "); '%s' removes it\n", r.stop)
		}
		r.writeLastRun(w)
		r.writeLeftRunning(w)
		printField(w, "note", r.Problem)
	case "not running":
		ended := "stopped"
		if r.Failed {
			why := "it ended on its own, not by a stop"
			if strings.HasPrefix(r.LastExit, instance.CouldNotStart) && r.Restarts == 0 {
				why = "its last start failed, before it was ready"
			}
			fmt.Fprintf(w, "%s is not running: it failed (%s)\n", r.Name, why)
			ended = "ended"
		} else {
			fmt.Fprintf(w, "%s is not running\n", r.Name)
		}
		if !r.StoppedAt.IsZero() {
			printField(w, ended, r.StoppedAt.Local().Format(time.DateTime))
		}
		r.writeLastRun(w)
		r.writeLeftRunning(w)
		printField(w, "note", r.Problem)
	default:
		fmt.Fprintf(w, "%s: cannot tell whether it runs: %s\n", r.Name, r.Problem)
	}
}

// writeProgram says, of a running or stopping supervisor, its program and the pid of the
// copy that runs (and that copy's uptime where it was restarted or upgraded since).
func (r *statusReport) writeProgram(w io.Writer) {
	switch {
	case len(r.Command) > 0 && r.ChildPID > 0 && r.ChildUptimeSeconds > 0 && r.programStartedAgain():
		// Restarted or upgraded since its supervisor started: its own uptime is news.
		printField(w, "program", fmt.Sprintf("%s (pid %d, up %s)", shellJoin(r.Command), r.ChildPID, upFor(r.ChildUptimeSeconds)))
	case len(r.Command) > 0 && r.ChildPID > 0:
		printField(w, "program", fmt.Sprintf("%s (pid %d)", shellJoin(r.Command), r.ChildPID))
	case len(r.Command) > 0 && len(r.Copies) > 0:
		// None serves yet: a start called off drains the copy that was starting.
		c := r.Copies[len(r.Copies)-1]
		printField(w, "program", fmt.Sprintf("%s (pid %d, %s)", shellJoin(r.Command), c.PID, c.State))
	case len(r.Command) > 0:
		printField(w, "program", shellJoin(r.Command)+" (no copy of it runs now)")
	}
	switch {
	case r.ChildStopped:
		fmt.Fprintln(w, "  "+programStoppedBySignal(r.ChildPID))
	case r.childEnded && r.childParent > 0:
		fmt.Fprintf(w, "  its program's main process has ended (pid %d is a zombie, which its parent, pid %d, has not reaped): its supervisor has not taken note of it yet (it then stops the rest of that copy, and --restart decides what follows); if it stays so, 'restart' starts it again\n", r.ChildPID, r.childParent)
	case r.childEnded:
		fmt.Fprintf(w, "  its program has ended (pid %d is a zombie): its supervisor has not taken note of it yet\n", r.ChildPID)
	case r.childGone:
		fmt.Fprintf(w, "  its program's main process (pid %d) has ended: its supervisor has not taken note of it yet (it then stops the rest of that copy, and --restart decides what follows); if it stays so, 'restart' starts it again\n", r.ChildPID)
	case r.ChildTracer > 0:
		fmt.Fprintf(w, "  its program is traced by pid %d (ptrace: strace -p, a debugger): it runs as far as that tracer lets it\n", r.ChildTracer)
	}
}

// upFor is an uptime of seconds as status says it, in whole seconds ("4s", "1h2m3s"); one
// under a second is "<1s": a copy an upgrade or a restart started a moment ago, where
// "0s" would read as a count that is stuck.
func upFor(seconds float64) string {
	d := time.Duration(seconds) * time.Second
	if d < time.Minute {
		return roughDuration(d) // "<1s", "42s": list's UPTIME says the same
	}
	return d.String()
}

// programStartedAgain says whether the copy of the program that runs is not the first its
// supervisor started: it restarted it (Restarts), or an upgrade made it (its generation).
// Not a difference of uptimes: a first copy of a program with a large command line, under
// load, may start more than a second after its supervisor.
func (r *statusReport) programStartedAgain() bool {
	if r.Restarts > 0 {
		return true
	}
	for _, c := range r.Copies {
		if c.PID == r.ChildPID && c.Generation > 1 {
			return true
		}
	}
	return false
}

// writeLastRun says, of an instance that is not running, what the record of its last run
// tells: its program, its restarts and how it ended, the log lines it dropped, and its log.
func (r *statusReport) writeLastRun(w io.Writer) {
	if len(r.Command) > 0 {
		printField(w, "program", shellJoin(r.Command))
	}
	if r.Restarts > 0 || r.LastExit != "" {
		printField(w, "restarts", fmt.Sprintf("%d, last exit: %s", r.Restarts, orNone(r.LastExit)))
	}
	r.writeDropped(w)
	r.writeLog(w)
}

// writeDropped says how many log lines the daemon could not write, and why the last could
// not (a full disk, a file size limit; a guess at the likeliest for a record an older
// build wrote): in its last run, when it is not running.
func (r *statusReport) writeDropped(w io.Writer) {
	if r.DroppedLines == 0 {
		return
	}
	ended := r.State == "not running" || r.State == "stale"
	why := r.DroppedCause
	switch {
	case why == "" && ended:
		why = "was the log's disk full?"
	case why == "":
		why = "is the log's disk full?"
	default:
		why = "the last: " + why
	}
	when := ""
	if ended {
		when = " in its last run"
	}
	printField(w, "dropped", fmt.Sprintf("%d log lines could not be written%s (%s)", r.DroppedLines, when, why))
}

// writeLog gives the log's path, with its problem if it has one (LogProblem): one it could
// not reopen at its path, or a file no longer at its path; in its last run, when it is not
// running.
func (r *statusReport) writeLog(w io.Writer) {
	log := showPath(r.Log)
	switch {
	case r.LogProblem == "":
		printField(w, "log", log)
	case r.State == "not running" || r.State == "stale":
		printField(w, "log", log+" (in its last run: "+r.LogProblem+")")
	default:
		printField(w, "log", log+" ("+r.LogProblem+")")
	}
}

// writeLeftRunning says what the last run left running, and how to end it.
func (r *statusReport) writeLeftRunning(w io.Writer) {
	if len(r.LeftRunning) > 0 {
		printField(w, "left", fmt.Sprintf("its last run left %s running; '%s' kills what is left", pidList(r.LeftRunning), r.stop))
	}
}

func printField(w io.Writer, label, value string) {
	if value != "" {
		fmt.Fprintf(w, "  %-8s %s\n", label+":", value)
	}
}

// orNone is s, or "none".
func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// logDetached says, when the daemon pid writes its log (its stderr) to a file that is no
// longer at path, its log's path (deleted, or moved by a rotation without a reopen), so
// that status shows where the lines go: nowhere anyone looks, and the space of a deleted
// file is never freed. Where it cannot tell (off Linux, another user's daemon, no log
// file), it says nothing.
func logDetached(pid, logFD int, path string) string {
	if detached, known := writesElsewhere(pid, logFD, path); !detached || !known {
		return ""
	}
	return "it writes to a file that is no longer at this path (deleted, or moved away without a reopen)"
}

// writesElsewhere reports whether the daemon pid writes its log (its stderr) to a file
// other than the one at path, and whether it could tell at all: not off Linux, for another
// user's daemon, or for a log that keeps nothing (/dev/null).
func writesElsewhere(pid, logFD int, path string) (detached, known bool) {
	if pid <= 0 || path == "" || logfile.Discards(path) {
		return false, false
	}
	open, err := os.Stat(fmt.Sprintf("/proc/%d/fd/2", pid))
	if err != nil && !errors.Is(err, fs.ErrNotExist) { // closed by the work: its own descriptor tells
		return false, false
	}
	at, err2 := os.Stat(path)
	switch {
	case err2 != nil:
		return true, true
	case err == nil && os.SameFile(open, at):
		return false, true
	}
	// A work that closed its stderr (its number names a file of its own now) leaves the
	// daemon writing its lines through its own descriptor, logFD (ownLogFD).
	found, known := ownLogFD(pid, logFD, at)
	return !found, known
}

// startingCopy is the copy a supervisor backing off between restarts (rec.Restarting) has
// started since, not ready yet: its back-off is over, and rec.Restarts does not count that
// restart until the copy is ready or has failed.
func startingCopy(rec *instance.Record) (instance.Copy, bool) {
	for _, c := range rec.Copies {
		if c.State == "starting" {
			return c, true
		}
	}
	return instance.Copy{}, false
}

// recordedReady is the readiness check (--ready) the request of rec says its supervised
// program was started with, "" if it does not say: the fallback for a record an older
// daemonkit wrote, without its ready field, whose Listen a tcp: or http: check reached.
func recordedReady(rec *instance.Record) string {
	started, known := recordedStart(rec)
	var sup struct{ Ready string }
	if !known || started.Supervise == nil || json.Unmarshal(started.Supervise, &sup) != nil {
		return ""
	}
	return sup.Ready
}
