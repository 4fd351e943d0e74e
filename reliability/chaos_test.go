//go:build linux

package reliability_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	kproc "github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestChaos runs random interleavings of every command on a few instance names of one
// state directory, with the world killing and freezing their processes and tampering
// with their files, and checks, at each quiet point (every command returned, every
// frozen process thawed, every instance settled), what the design promises against the
// real processes: at most one daemon a name; status and list agree with what runs; a
// start or restart that said started left a running daemon, a stop that said stopped
// left nothing; exit codes are those of the commands' tables; no command hangs. At the
// end every instance is stopped and nothing of them is left.
//
// It is seeded: the seed is logged, and CHAOS_SEED=N replays a run (the interleavings
// are the seed's; what the processes make of them is the machine's). It runs for about
// 40s, CHAOS_DURATION=10m for longer; -short skips it.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos runs for a while: not under -short")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("CHAOS_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("CHAOS_SEED=%q: %v", s, err)
		}
		seed = n
	}
	run := 40 * time.Second
	if s := os.Getenv("CHAOS_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("CHAOS_DURATION=%q: %v", s, err)
		}
		run = d
	}
	t.Logf("chaos seed %d (replay: CHAOS_SEED=%d)", seed, seed)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("chaos seed %d failed (replay: CHAOS_SEED=%d)", seed, seed)
		}
	})
	c := &chaos{e: newEnv(t), rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		probes: rand.New(rand.NewPCG(seed^0x5bd1e995, seed)),
		names:  []string{"c0", "c1", "c2"}, fds: map[string]fdSeen{}, took: map[string]time.Duration{}}
	end := time.Now().Add(run)
	batches := 0
	for time.Now().Before(end) && !t.Failed() {
		c.batch(batches)
		batches++
	}
	t.Logf("%d batches; the longest of each command: %v", batches, c.took)
	r := c.e.runQuiet("all", "stop", "--all")
	if r.code != 0 {
		t.Errorf("final %s", r)
	}
	for _, name := range c.names {
		c.e.noneLeft(name, "after the final stop --all")
	}
	c.checkFds(true)
}

// chaos is one run's state.
type chaos struct {
	e   *env
	rng *rand.Rand // the batches: the same for the same seed
	// probes draws what the quiet points do, which depends on how the batches ran: apart,
	// so that a seed replays the same batches whatever they did
	probes *rand.Rand
	names  []string
	mu     sync.Mutex
	log    []string // what the current batch did, for a failure's message
	fds    map[string]fdSeen
	took   map[string]time.Duration // the longest each command took: logged, not asserted
}

// fdSeen is a long-lived supervisor's descriptor count when first seen, and last.
type fdSeen struct {
	pid, first, last, seen int
}

// op is one thing a batch does: a command (args, for name), or an outside event.
type op struct {
	name   string
	args   []string
	event  string        // "" for a command
	after  time.Duration // an event's delay, or a command killed after it (killLauncher)
	kill   bool          // kill the command (its launcher) after `after`
	hold   time.Duration // how long a stop-* event keeps its process frozen
	result result
}

// did notes a line of what the batch did.
func (c *chaos) did(format string, args ...any) {
	c.mu.Lock()
	c.log = append(c.log, fmt.Sprintf(format, args...))
	c.mu.Unlock()
}

// startArgs are the arguments of a random start -d of name, drawn from rng.
func (c *chaos) startArgs(rng *rand.Rand, name string) []string {
	args := []string{"start", "-d", "--name", name, "--strategy", strategies[rng.IntN(len(strategies))]}
	if rng.IntN(4) == 0 {
		return append(args, "--listen", "127.0.0.1:0")
	}
	if rng.IntN(2) == 0 {
		args = append(args, "--restart", "on-failure")
	}
	if rng.IntN(2) == 0 {
		args = append(args, "--socket", "unix:"+filepath.Join(c.e.state, name+".sock"))
	}
	switch rng.IntN(3) {
	case 0:
		return append(args, "--", "sleep", "1000")
	case 1:
		return append(args, "--ready", "notify", "--", helperPath(c.e.t, "hupper"))
	default:
		port := freePort(c.e.t)
		addr := "127.0.0.1:" + strconv.Itoa(port)
		return append(args, "--ready", "tcp:"+addr, "--", helperPath(c.e.t, "listener"), addr)
	}
}

// freePort is a TCP port free a moment ago.
func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// randomOp is one random command or event.
func (c *chaos) randomOp() *op {
	name := c.names[c.rng.IntN(len(c.names))]
	o := &op{name: name}
	n := func(args ...string) []string { return append(args, "--name", name) }
	switch k := c.rng.IntN(100); {
	case k < 22:
		o.args = c.startArgs(c.rng, name)
		if c.rng.IntN(6) == 0 {
			o.kill, o.after = true, time.Duration(c.rng.IntN(300))*time.Millisecond
		}
	case k < 32:
		o.args = n("stop")
		switch c.rng.IntN(4) {
		case 0:
			o.args = append(o.args, "--signal", "KILL")
		case 1:
			o.args = append(o.args, "--timeout", "1s")
		}
	case k < 38:
		o.args = n("restart")
	case k < 44:
		o.args = n("reload")
	case k < 50:
		o.args = n("reopen")
	case k < 56:
		o.args = n("status", "--json")
	case k < 60:
		o.name, o.args = "list", []string{"list", "--json"}
	case k < 64:
		o.args = n("delete")
	case k < 70:
		o.args = n("upgrade")
	case k < 72:
		o.name, o.args = "all", []string{"stop", "--all"}
	case k < 74:
		o.name, o.args = "all", []string{"reload", "--all"}
	default:
		events := []string{"kill-daemon", "kill-program", "stop-daemon", "stop-program",
			"rm-pidfile", "junk-pidfile", "rm-record", "kill-daemon", "kill-program"}
		o.event = events[c.rng.IntN(len(events))]
		o.after = time.Duration(c.rng.IntN(200)) * time.Millisecond
		o.hold = time.Duration(c.rng.IntN(500)) * time.Millisecond // drawn here: events run at once, the generator is this goroutine's
	}
	return o
}

// starts reports whether args may start a daemon of its name.
func starts(args []string) bool {
	return args != nil && (args[0] == "start" || args[0] == "restart" || args[0] == "upgrade")
}

// batch runs a few random operations at once, then checks the quiet point after them.
func (c *chaos) batch(i int) {
	t := c.e.t
	c.log = nil
	ops := make([]*op, 1+c.rng.IntN(4))
	for k := range ops {
		ops[k] = c.randomOp()
	}
	var wg sync.WaitGroup
	for _, o := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if o.event != "" {
				c.event(o)
				return
			}
			if o.kill {
				o.result = c.runKilled(o)
				return
			}
			o.result = c.e.runQuiet(o.name, o.args...)
			c.did("%s -> %d in %s: %s%s", strings.Join(o.args, " "), o.result.code, o.result.took.Round(time.Millisecond),
				strings.TrimSpace(o.result.out), strings.TrimSpace(o.result.err))
		}()
	}
	wg.Wait()
	for _, o := range ops {
		if o.event == "" && !o.kill {
			c.checkCode(o)
		}
	}
	if t.Failed() {
		c.dump(i)
		return
	}
	settling := time.Now()
	c.settle()
	c.did("settled in %s", time.Since(settling).Round(time.Millisecond))
	c.quiet(ops)
	if t.Failed() || os.Getenv("CHAOS_VERBOSE") != "" {
		c.dump(i)
	}
}

// dump logs what the failed batch did.
func (c *chaos) dump(i int) {
	c.e.t.Logf("batch %d did:\n  %s", i, strings.Join(c.log, "\n  "))
}

// runKilled runs a start and kills it (SIGKILL, by pid) after o.after, as a user's
// Ctrl-\ or an OOM kill would.
func (c *chaos) runKilled(o *op) result {
	cmd, out, errb := c.e.cmd(o.name, o.args...)
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return result{code: -1, err: err.Error()}
	}
	timer := time.AfterFunc(o.after, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
	r, err := ended(cmd, out, errb, o.args, began)
	timer.Stop()
	c.did("%s killed after %s -> %d %v %s", strings.Join(o.args, " "), o.after, r.code, err, strings.TrimSpace(r.err))
	return r
}

// event does an outside event to o.name's processes or files.
func (c *chaos) event(o *op) {
	time.Sleep(o.after) // the event comes at a random moment of the batch: not a wait on anything
	pid := 0
	switch o.event {
	case "kill-daemon", "stop-daemon":
		pid = c.e.holder(o.name)
	case "kill-program", "stop-program":
		if rec, err := c.e.readRecord(o.name); err == nil && c.e.holder(o.name) == rec.PID {
			pid = rec.ChildPID
		}
	case "rm-pidfile":
		err := os.Remove(c.e.pidfile(o.name))
		c.did("event %s %s: %v", o.event, o.name, err)
		return
	case "junk-pidfile":
		err := os.WriteFile(c.e.pidfile(o.name), []byte("junk\n"), 0o644)
		c.did("event %s %s: %v", o.event, o.name, err)
		return
	case "rm-record":
		err := os.Remove(c.e.record(o.name))
		c.did("event %s %s: %v", o.event, o.name, err)
		return
	}
	if pid <= 0 {
		c.did("event %s %s: no process", o.event, o.name)
		return
	}
	// Only a process of this test's, and of this instance, is ever signalled: through a
	// pidfd opened before the check, so that a pid reused meanwhile is never hit (a
	// frozen process may be killed and reaped by a stop before its SIGCONT).
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		c.did("event %s %s: pid %d gone: %v", o.event, o.name, pid, err)
		return
	}
	defer unix.Close(fd)
	p, ok := readProc(pid)
	if !ok || p.env[testEnv] != c.e.test || p.env[instanceEnv] != o.name {
		c.did("event %s %s: pid %d not ours", o.event, o.name, pid)
		return
	}
	signal := func(sig unix.Signal) error { return unix.PidfdSendSignal(fd, sig, nil, 0) }
	if strings.HasPrefix(o.event, "kill-") {
		err := signal(unix.SIGKILL)
		// The kill takes effect a moment after kill(2) returns: the process lets its
		// locks go as it exits, before it is a zombie, and until then a record that
		// proves it by its start time rightly tells it running. The event is over once
		// it is dead.
		for end := time.Now().Add(testutil.Deadline); err == nil && time.Now().Before(end); {
			if st, ok := stat(pid); !ok || st.state == 'Z' || st.state == 'X' {
				break
			}
			time.Sleep(2 * time.Millisecond) // a polling step: nothing wakes a waiter on another's child
		}
		if o.event == "kill-program" {
			// Its supervisor reaps it, then restarts it or ends: the event is over once
			// the supervisor has done either, no longer running the dead program.
			sup := c.e.holder(o.name)
			for end := time.Now().Add(testutil.Deadline); err == nil && time.Now().Before(end); {
				rec, rerr := c.e.readRecord(o.name)
				if _, alive := stat(pid); !alive && (rerr != nil || rec.ChildPID != pid || c.e.holder(o.name) != sup) {
					break
				}
				time.Sleep(2 * time.Millisecond) // a polling step
			}
		}
		c.did("event %s %s: pid %d: %v", o.event, o.name, pid, err)
		return
	}
	err = signal(unix.SIGSTOP)
	time.Sleep(o.hold) // how long the process stays frozen: part of the event
	err2 := signal(unix.SIGCONT)
	c.did("event %s %s: pid %d frozen %s: %v %v", o.event, o.name, pid, o.hold, err, err2)
}

// allowed are the exit codes each command may give (DESIGN.md's table and commands.md).
var allowed = map[string][]int{
	"start":   {0, 1, 3},
	"stop":    {0},
	"restart": {0, 1, 3},
	"reload":  {0, 1},
	"reopen":  {0, 1},
	"status":  {0, 1, 3},
	"list":    {0},
	"delete":  {0, 1},
	"upgrade": {0, 1, 3},
}

// checkCode fails the test for a command that hung, or exited with a code its table
// does not have.
func (c *chaos) checkCode(o *op) {
	r := o.result
	if k := strings.Join(o.args[:min(len(o.args), 1)], ""); r.took > c.took[k] {
		c.took[k] = r.took
	}
	if o.args[0] == "stop" && r.code == 1 && strings.Contains(r.err, `holds "junk\n", which is not a pidfile: refusing to remove it`) {
		return // a junk-pidfile event's file: stop refuses it, as its table says
	}
	if !slices.Contains(allowed[o.args[0]], r.code) {
		c.e.t.Errorf("unexpected exit: %s", r)
	}
}

// settle waits until no instance is starting, stopping or restarting, and no daemonkit
// process but a daemon (a launcher's intermediate, a command) is left of any name.
func (c *chaos) settle() {
	t := c.e.t
	t.Helper()
	end := time.Now().Add(testutil.Deadline)
	for {
		var busy []string
		for _, name := range c.names {
			s, _ := c.status(name)
			switch {
			case s.State == "starting" && c.recordless(name):
				// A ready daemon whose record was deleted reads as starting for ever
				// (status cannot tell it from one not ready yet): see the report.
			case s.State == "starting", s.State == "stopping", s.State == "restarting":
				busy = append(busy, name+" "+s.State)
			}
			for _, p := range c.e.instance(name) {
				if len(p.args) > 1 && p.args[0] == c.e.bin && !p.daemon() && p.args[1] != "_workload" {
					busy = append(busy, fmt.Sprintf("%s pid %d %q", name, p.pid, p.args))
				}
			}
		}
		if len(busy) == 0 {
			return
		}
		if time.Now().After(end) {
			t.Errorf("not settled after %s: %v", testutil.Deadline, busy)
			return
		}
		time.Sleep(20 * time.Millisecond) // a polling step
	}
}

// settledStatus is status --json of name once it is neither starting, stopping nor
// restarting: a program killed by an event is seen dead by its supervisor a moment after
// settle may have looked, and is then restarted.
func (c *chaos) settledStatus(name string) (shownFull, result) {
	end := time.Now().Add(testutil.Deadline)
	for {
		s, r := c.status(name)
		switch {
		case s.State == "starting" && c.recordless(name):
		case s.State == "starting", s.State == "stopping", s.State == "restarting":
			if time.Now().Before(end) {
				time.Sleep(20 * time.Millisecond) // a polling step
				continue
			}
		}
		return s, r
	}
}

// recordless reports whether name has no record, and its daemon, if one runs, has run
// for longer than a start may take: a daemon whose record was deleted by hand.
func (c *chaos) recordless(name string) bool {
	if _, err := os.Stat(c.e.record(name)); err == nil {
		return false
	}
	h := c.e.holder(name)
	return h == 0 || processAge(h) > 12*time.Second
}

// processAge is how long pid has run, or 0 if that cannot be read.
func processAge(pid int) time.Duration {
	age, _ := kproc.Age(pid)
	return age
}

// status is status --json of name, and its exit code.
func (c *chaos) status(name string) (shownFull, result) {
	r := c.e.runQuiet(name, "status", "--json", "--name", name)
	var s shownFull
	if err := json.Unmarshal([]byte(r.out), &s); err != nil {
		s.State = "unparsed"
	}
	return s, r
}

// shownFull is what status --json and list --json say, that chaos checks.
type shownFull struct {
	shown
	PID        int `json:"pid"`
	PidfilePID int `json:"pidfile_pid"`
	ChildPID   int `json:"child_pid"`
}

// settledView is status --json of name once settled (settledStatus), with the live
// processes of the instance and its daemons among them, as they are then. After an event
// of the batch on name (eventOn) a daemon and "not running" may meet for a moment, and are
// looked at again until they part, within exitBound: a daemon that ends on its own (its
// program killed, no restart) releases its lock before it exits; a daemon still starting
// whose pidfile was removed by hand (its start command killed too, so no start lock tells
// of it) shows nothing to status until it is ready and writes it back. Without an event
// nothing is waited for: a daemon left after a stop that said stopped is what the checks
// are for.
func (c *chaos) settledView(name string, eventOn bool) (s shownFull, r result, all, daemons []proc) {
	end := time.Now().Add(exitBound)
	for {
		s, r = c.settledStatus(name)
		all, daemons = c.e.instance(name), nil
		for _, p := range all {
			if p.daemon() {
				daemons = append(daemons, p)
			}
		}
		if !eventOn || s.State != "not running" || len(daemons) == 0 || time.Now().After(end) {
			return s, r, all, daemons
		}
		time.Sleep(20 * time.Millisecond) // a polling step while it exits, or gets ready
	}
}

// exitBound is how long a daemon and "not running" may meet after an event: a daemon's last
// steps after it released its lock are a few closes, and a start's readiness takes
// milliseconds (a loaded machine stretches them into this).
const exitBound = 5 * time.Second

// eventOn reports whether an outside event of ops was on name.
func eventOn(ops []*op, name string) bool {
	return slices.ContainsFunc(ops, func(o *op) bool { return o.event != "" && o.name == name })
}

// list is list --json, and its rows; a list that fails or says no JSON fails the test.
func (c *chaos) list() (result, []shownFull) {
	lr := c.e.runQuiet("list", "list", "--json")
	var rows []shownFull
	if lr.code != 0 || json.Unmarshal([]byte(lr.out), &rows) != nil {
		c.e.t.Errorf("list: %s", lr)
	}
	return lr, rows
}

// listAgrees reports whether list's rows say of name what status said (s): the same state
// and pid, or no row for a name status finds neither running nor stale.
func listAgrees(rows []shownFull, name string, s shownFull) bool {
	i := slices.IndexFunc(rows, func(x shownFull) bool { return x.Name == name })
	if i < 0 {
		return s.State != "running" && s.State != "stale"
	}
	want := map[string][]string{"running": {"running"}, "not running": {"stopped", "failed"}, "stale": {"stale"}, "starting": {"starting"}}[s.State]
	return slices.Contains(want, rows[i].State) && rows[i].PID == s.PID
}

// quiet checks the invariants at a quiet point after ops.
func (c *chaos) quiet(ops []*op) {
	t := c.e.t
	t.Helper()
	type view struct {
		s            shownFull
		r            result
		all, daemons []proc
	}
	views := make(map[string]view, len(c.names))
	for _, name := range c.names { // first: a view may wait for what an event left moving
		var v view
		v.s, v.r, v.all, v.daemons = c.settledView(name, eventOn(ops, name))
		views[name] = v
	}
	lr, rows := c.list()
	// After an event on a name, its daemon may still be ending when list looks, after
	// status did (a supervisor whose program an event killed ends a moment after it says
	// so): both are looked at again, within exitBound, until they agree.
	for end := time.Now().Add(exitBound); time.Now().Before(end); {
		var moving []string
		for _, name := range c.names {
			if eventOn(ops, name) && !listAgrees(rows, name, views[name].s) {
				moving = append(moving, name)
			}
		}
		if len(moving) == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond) // a polling step while a daemon ends
		for _, name := range moving {
			var v view
			v.s, v.r, v.all, v.daemons = c.settledView(name, true)
			views[name] = v
		}
		lr, rows = c.list()
	}
	for _, name := range c.names {
		s, r, all, daemons := views[name].s, views[name].r, views[name].all, views[name].daemons
		if len(daemons) > 1 {
			t.Errorf("%s: %d daemons: %v", name, len(daemons), daemons)
		}
		h := c.e.holder(name)
		switch {
		case r.code == 0 && s.State == "running":
			if !slices.ContainsFunc(daemons, func(p proc) bool { return p.pid == s.PID }) {
				t.Errorf("%s: status says running (pid %d), no such daemon of it runs (holder %d, daemons %v): %s", name, s.PID, h, daemons, r)
			}
		case r.code == 3 && s.State == "starting" && c.recordless(name):
			if !slices.ContainsFunc(daemons, func(p proc) bool { return p.pid == s.PID }) || h != s.PID {
				t.Errorf("%s: status says starting (pid %d), no such daemon of it runs (holder %d, daemons %v): %s", name, s.PID, h, daemons, r)
			}
		case (r.code == 3 && s.State == "not running") || (r.code == 1 && s.State == "stale"):
			if len(daemons) > 0 || h != 0 {
				t.Errorf("%s: status says %s, but daemons %v run (lock holder %d): %s", name, s.State, daemons, h, r)
			}
			for _, p := range all {
				if !slices.Contains(s.LeftRunning, p.pid) && !slices.ContainsFunc(all, func(q proc) bool { return slices.Contains(s.LeftRunning, q.pid) && q.pid == p.ppid }) {
					t.Errorf("%s: status says %s and names nothing left running, but pid %d (parent %d) of it runs: %q: %s", name, s.State, p.pid, p.ppid, p.args, r)
				}
			}
		default:
			t.Errorf("%s: status at a quiet point: %s", name, r)
		}
		if !listAgrees(rows, name, s) {
			if i := slices.IndexFunc(rows, func(x shownFull) bool { return x.Name == name }); i >= 0 {
				t.Errorf("%s: list says %s (pid %d), status %s (pid %d)", name, rows[i].State, rows[i].PID, s.State, s.PID)
			} else {
				t.Errorf("%s: %s, but not listed: %s", name, s.State, lr.out)
			}
		}
		// What each command said, unless another one or an event of the batch could
		// have changed it since.
		var stopped, started bool
		disturbed := false
		for _, o := range ops {
			switch {
			case o.event != "" && o.name == name, o.kill && o.name == name:
				disturbed = true
			case o.args == nil || o.kill:
			case o.name == name && o.args[0] == "stop" && o.result.code == 0:
				stopped = true
			case o.name == name && (o.args[0] == "start" || o.args[0] == "restart") && o.result.code == 0:
				started = true
			case o.name == "all" && o.args[0] == "stop":
				disturbed = true
			case o.name == name && o.args[0] != "status" && o.args[0] != "reopen":
				if starts(o.args) || o.args[0] == "reload" || o.args[0] == "delete" {
					disturbed = true
				}
			}
		}
		if stopped && !started && !disturbed && !slices.ContainsFunc(ops, func(o *op) bool { return o.name == name && starts(o.args) }) {
			if len(all) > 0 {
				t.Errorf("%s: stop said stopped; left: %v", name, all)
			}
		}
		if started && !stopped && !disturbed && !slices.ContainsFunc(ops, func(o *op) bool {
			return (o.name == name || o.name == "all") && o.args != nil && (o.args[0] == "stop" || o.args[0] == "delete")
		}) {
			if s.State != "running" {
				t.Errorf("%s: a start or restart said started, status says %s", name, r)
			}
		}
		if s.State == "running" && h != 0 {
			c.noteFds(name, h)
		}
		if b, err := os.ReadFile(c.e.pidfile(name)); err == nil && string(b) == "junk\n" && h == 0 {
			// As stop and start say: remove it yourself, if it is yours (it is).
			_ = os.Remove(c.e.pidfile(name))
			c.did("removed %s's junk pidfile, as stop says to", name)
		}
		if (s.State == "not running" || s.State == "stale") && c.probes.IntN(2) == 0 {
			c.startProbe(name)
		}
	}
	c.checkFds(false)
}

// startProbe starts name, not running at a quiet point, alone: nothing (a stale start
// lock, a pidfile, a record) may keep it from starting, but what its last run left
// running, which stop kills first, as start says.
func (c *chaos) startProbe(name string) {
	t := c.e.t
	args := c.startArgs(c.probes, name)
	r := c.e.runQuiet(name, args...)
	c.did("probe: %s -> %d %s%s", strings.Join(args, " "), r.code, strings.TrimSpace(r.out), strings.TrimSpace(r.err))
	if r.code == 1 && strings.Contains(r.err, "left") {
		if sr := c.e.runQuiet(name, "stop", "--name", name); sr.code != 0 {
			t.Errorf("%s: probe's stop: %s", name, sr)
			return
		}
		r = c.e.runQuiet(name, args...)
		c.did("probe again: %s -> %d %s%s", strings.Join(args, " "), r.code, strings.TrimSpace(r.out), strings.TrimSpace(r.err))
	}
	if r.code != 0 {
		if r.code == 1 && strings.Contains(r.err, "address already in use") {
			return // freePort's port, taken by another process meanwhile: not the instance's fault
		}
		t.Errorf("%s: not running at a quiet point, and a start alone fails: %s", name, r)
		return
	}
	if s, sr := c.status(name); s.State != "running" {
		t.Errorf("%s: started alone, and status says %s", name, sr)
	}
}

// noteFds notes the descriptor count of name's supervisor pid.
func (c *chaos) noteFds(name string, pid int) {
	des, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		return
	}
	f, ok := c.fds[name]
	if !ok || f.pid != pid {
		c.fds[name] = fdSeen{pid: pid, first: len(des), last: len(des), seen: 1}
		return
	}
	f.last, f.seen = len(des), f.seen+1
	c.fds[name] = f
}

// checkFds fails the test for a supervisor seen at many quiet points whose descriptors
// grew by more than its work's own churn explains.
func (c *chaos) checkFds(final bool) {
	for name, f := range c.fds {
		if f.seen >= 20 && f.last > f.first+16 {
			c.e.t.Errorf("%s: supervisor pid %d went from %d to %d descriptors over %d quiet points: %v",
				name, f.pid, f.first, f.last, f.seen, fdTargets(f.pid))
		}
		if final {
			c.e.t.Logf("%s: supervisor pid %d: %d to %d descriptors over %d quiet points", name, f.pid, f.first, f.last, f.seen)
		}
	}
}
