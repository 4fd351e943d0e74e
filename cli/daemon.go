package cli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/alecthomas/kong"
	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/handshake"
	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/internal/limits"
	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/logfile"
	"github.com/daemonkit/daemonkit/pidfile"
	"github.com/daemonkit/daemonkit/server"
	"github.com/daemonkit/daemonkit/strategy"
	"github.com/daemonkit/daemonkit/strategy/reexec"
	"github.com/daemonkit/daemonkit/supervisor"
)

// Hidden first arguments, each followed by the instance's name (for ps): a daemon that
// start -d detached (`ARGV0 _daemon NAME`), and the program's own work run as a supervised
// child of it (`ARGV0 _workload NAME`: as another user with --user, or under PID 1). The
// JSON of the request travels in requestEnv.
const (
	daemonCommand   = "_daemon"
	workloadCommand = "_workload"
)

// requestEnv is the environment variable that carries the request to a daemon or a
// workload child, which take it out of their environment first thing. Not an argument:
// anyone can read a process's arguments (ps), for its whole life, and the request holds
// --env's values; its environment only its own user and root can read.
const requestEnv = "DAEMONKIT_REQUEST"

// requestChunk is the most of the request one variable carries. The kernel refuses an
// environment string over 128 KiB (MAX_ARG_STRLEN) with E2BIG, and a long command line (a
// Java classpath, a program given thousands of arguments) makes a request that long; the
// rest follows in requestEnv_1, requestEnv_2, ...
const requestChunk = 64 << 10

// withRequest is env with the request raw in requestEnv and, past requestChunk bytes, its
// continuations, in place of any that env had; env is left as it was.
func withRequest(env []string, raw string) []string {
	env = slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		return strings.HasPrefix(kv, requestEnv+"=") || strings.HasPrefix(kv, requestEnv+"_")
	})
	for i := 0; i == 0 || raw != ""; i++ {
		key := requestEnv
		if i > 0 {
			key += "_" + strconv.Itoa(i)
		}
		n := min(len(raw), requestChunk)
		env = append(env, key+"="+raw[:n])
		raw = raw[n:]
	}
	return env
}

// request is everything a daemon needs, resolved by start (every path absolute): it
// travels in the daemon's environment (requestEnv), and is recorded so that restart can start the
// instance again without parsing anything.
type request struct {
	Program         string            `json:"program"` // Config.Name of the program that started it
	Name            string            `json:"name"`
	PIDFile         string            `json:"pidfile"`
	Log             string            `json:"log"`
	Record          string            `json:"record"`
	Strategy        string            `json:"strategy"`
	IgnoreHUP       bool              `json:"ignore_hup,omitempty"`
	Workdir         string            `json:"workdir"` // the daemon's working directory
	Cwd             string            `json:"cwd"`     // start's, where Args are parsed again
	Umask           int               `json:"umask"`
	ReadyTimeout    time.Duration     `json:"ready_timeout"`
	ShutdownTimeout time.Duration     `json:"shutdown_timeout"`
	LogLevel        string            `json:"log_level"`
	LogFormat       string            `json:"log_format"`
	Flags           json.RawMessage   `json:"flags,omitempty"`     // Config.Flags, as start saw them
	Supervise       *superviseRequest `json:"supervise,omitempty"` // start -- CMD: the program to supervise instead
	Exe             string            `json:"exe"`                 // this program's binary on disk, which a workload child runs
	Socket          []string          `json:"socket,omitempty"`    // start --socket, for the program's own work
	// EnvBase is what the inherited environment had under each variable start set on top
	// (KEY=VALUE, or KEY where it had none): the daemon records the inherited environment
	// from its own with it (serverOptions).
	EnvBase words `json:"env_base,omitempty"`
	// LoaderEnv are the loader's variables of the work's environment, which the daemon
	// puts back into its own once it runs (see splitLoaderEnv).
	LoaderEnv    words         `json:"loader_env,omitempty"`
	DrainTimeout time.Duration `json:"drain_timeout,omitempty"`
	ProcessFlags
	Args words `json:"args"` // the command line start was given, for the program to parse again
}

// pending is the request of this process, when Init found it is a daemon (or a workload
// child: pendingWorkload); Run and the start command then run it.
var (
	pending         *request
	pendingWorkload bool
	pendingRuns     atomic.Bool // runPending has begun: the daemon runs once in a process
)

// runPending runs the daemon or the workload child that Init found this process to be,
// and exits the process with its code: nothing a program does after Run (or after its
// Kong command returns) belongs in a daemon, which has given its pidfile up by then.
func runPending(cfg Config) {
	if !pendingRuns.CompareAndSwap(false, true) {
		// A second Run at once (the program's main runs two commands from two goroutines,
		// and Init made both the daemon's) would run the daemon twice in one process, whose
		// second lock of the pidfile finds the first's: "already running" of itself. The
		// first exits the process when the daemon ends.
		select {}
	}
	var err error
	if pendingWorkload {
		err = runWorkload(cfg, pending)
	} else {
		err = runDaemon(cfg, pending)
	}
	os.Exit(cfg.withDefaults().exitIn(pending.LogFormat, err))
}

// runHidden recognises the hidden first arguments before anything is parsed: the reexec
// strategy's intermediate (which it runs to the end) and a daemon. A daemon it runs at
// once if now (Main: the grammar is daemonkit's alone, and the flags come back from the
// request), or else records it in pending and puts start's arguments back into os.Args,
// unless the flag package has parsed them already (errInitAfterParse: exit 70).
// ok is false when the process is neither.
func runHidden(cfg Config, now bool) (code int, ok bool) {
	if len(os.Args) < 2 {
		return 0, false
	}
	workload := false
	switch os.Args[1] {
	case reexec.Command:
		return reexec.Continue(os.Args[2:]), true
	case supervisor.ExecCommand:
		return supervisor.Exec(os.Args[2:]), true
	case daemonCommand:
	case workloadCommand:
		workload = true
	default:
		return 0, false
	}
	if !now && flag.Parsed() {
		fmt.Fprintf(os.Stderr, "%s: %v\n", cfg.Name, errInitAfterParse)
		return exitSoftware, true
	}
	_ = server.ExecUnblocked() // what the caller blocked is not the program's to inherit; if it cannot, as before
	req, err := takeRequest(os.Args[1], os.Args[2:])
	if errors.Is(err, errUnreadableRequest) {
		// A supervisor started by another build of the program runs this binary, replaced
		// on disk, for an upgrade of the built-in work (or a mix of builds started it).
		err = fmt.Errorf("%w: this binary is build %s, which cannot read what another build sent it (version skew): run the build that sent it", err, buildOf(cfg))
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", os.Args[0], err)
		return exitUsage, true
	}
	if req.IgnoreHUP {
		ignoreHUP() // first thing: nothing may die of a hangup from here on
	}
	_ = proc.SetName(os.Args[0]) // not "exe", as a binary run through /proc/self/exe is named
	if now {
		if workload {
			return cfg.exitIn(req.LogFormat, runWorkload(cfg, req)), true
		}
		return cfg.exitIn(req.LogFormat, runDaemon(cfg, req)), true
	}
	// The program parses start's arguments again where start did, so that relative paths
	// in its own flags mean what they meant (in the daemon's working directory if start's
	// was deleted); runDaemon then moves to the daemon's working directory.
	if err := os.Chdir(cmp.Or(req.Cwd, req.Workdir)); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %s: %v\n", os.Args[0], daemonCommand, err)
		return exitFailed, true
	}
	pending, pendingWorkload = req, workload
	os.Args = append([]string{os.Args[0]}, req.Args...)
	return 0, false
}

// notInitialised is why this process cannot run a command: start -d (or a supervisor)
// started it with a hidden command and its request, which neither Main nor Init read first
// (a test binary without the TestMain that embedding.md shows, or a program that gives Run
// arguments of its own and never calls Init). Any command it ran would be beside the
// point, and a start would launch a second daemon from within the first, waiting on the
// first's start until that timed out ("not ready after 10s") without a word of why. It is
// nil in any other process.
func notInitialised() error {
	if pending != nil || len(os.Args) < 2 {
		return nil
	}
	switch os.Args[1] {
	case daemonCommand, workloadCommand, reexec.Command:
	default:
		return nil
	}
	if _, ok := os.LookupEnv(requestEnv); !ok {
		return nil
	}
	return fmt.Errorf("start -d started this process (%s %s) to run its daemon, but the program called neither cli.Main nor cli.Init first, which serve it: call cli.Init() first thing in main; in a test binary that runs start -d, first thing in TestMain, then cli.Run with the test's Config (see \"Testing your program\" in docs/embedding.md)",
		os.Args[1], strings.Join(os.Args[2:], " "))
}

// errInitAfterParse is what a daemon says when its program called Init after flag.Parse:
// flag.Parse then read the hidden command, not the arguments start was given, and the
// daemon would serve with every flag of the program at its default, without a word.
var errInitAfterParse = errors.New("cli.Init() was called after flag.Parse(), which read this daemon's hidden arguments rather than start's, so every flag of the program would have its default: call cli.Init() first thing in main, before flag.Parse")

// takeRequest reads the request of the hidden command from requestEnv, and takes the
// variable out of this process's environment, so that nothing it starts inherits it.
// Without the variable, an argument that is a JSON object is the request: daemonkit before
// 2026-11-26 passed it so, and a supervisor it started still runs this binary, once
// replaced on disk, as `_workload REQUEST`.
func takeRequest(command string, args []string) (*request, error) {
	raw, ok := os.LookupEnv(requestEnv)
	if ok {
		_ = os.Unsetenv(requestEnv)
		for i := 1; ; i++ { // withRequest's continuations
			key := requestEnv + "_" + strconv.Itoa(i)
			part, ok := os.LookupEnv(key)
			if !ok {
				break
			}
			_ = os.Unsetenv(key)
			raw += part
		}
	} else if len(args) == 1 && strings.HasPrefix(args[0], "{") {
		raw = args[0]
	} else {
		return nil, fmt.Errorf("%s: no request in $%s: started by hand? use start -d", command, requestEnv)
	}
	var req request
	if err := json.Unmarshal([]byte(raw), &req); err != nil {
		return nil, fmt.Errorf("%s: %w in $%s: %w", command, errUnreadableRequest, requestEnv, err)
	}
	req.restoreLoaderEnv()
	return &req, nil
}

// errUnreadableRequest is wrapped by takeRequest's error for a request that is not one
// this build reads: most likely another build's (see versionSkew).
var errUnreadableRequest = errors.New("bad request")

// withEnv is env with key set to value, in place of any it had; env is left as it was.
func withEnv(env []string, key, value string) []string {
	env = slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		return strings.HasPrefix(kv, key+"=")
	})
	return append(env, key+"="+value)
}

// runDaemon is the whole life of a daemon: the umask first, the handshake, the logger on
// its log (descriptor 2), the program's flags back from the request, then server.Run.
func runDaemon(cfg Config, req *request) error {
	if req.Program != cfg.Name {
		return fmt.Errorf("%s: the request is %s's, not %s's", daemonCommand, req.Program, cfg.Name)
	}
	unix.Umask(req.Umask)
	rep, err := handshake.OpenReporter(handshake.FD)
	if err != nil {
		return withCode(exitUsage, err)
	}
	// Its log lines go through a descriptor of its own, not 2: a serve function that closes
	// os.Stderr (or os.Stdout) gives that number to its next file, never to be written into.
	held, out := holdLog(req.Log, cfg.Name, req.LogFormat) // whole lines or none, and no loss unsaid
	// Through a handoff: never left holding its lock behind a write that never returns.
	log := newLogger(cfg.Name, req.LogLevel, req.LogFormat, out.Handoff())
	// Descriptor 2 is the log: an error goes there once, in the log's format (a plain line
	// would break a JSON log), and start reports it from the handshake.
	fail := func(err error) error {
		log.Error("could not start", "error", err)
		_ = rep.Fail(err)
		return withCode(exitFailed, nil)
	}
	if err := req.settle(); err != nil {
		return fail(err)
	}
	if len(req.Flags) > 0 && cfg.Flags != nil {
		if err := restoreProgramFlags(cfg, req.Flags, req.Cwd); err != nil {
			return fail(fmt.Errorf("%s: restore the program's flags: %w", daemonCommand, err))
		}
	}
	if err := limits.Apply(req.Limits); err != nil {
		// Started again by restart from a shell whose hard limits are lower: the work runs
		// with what could be kept, which restart said before it stopped anything.
		log.Warn("the work does not get every limit it was started with", "error", err)
	}
	opts := req.serverOptions(cfg)
	opts.Reporter, opts.Logger, opts.LogWriter, opts.LogDescriptors = rep, log, out, held
	w, err := req.workload(cfg, out, true)
	if err != nil {
		return fail(err)
	}
	return serverExit(server.Run(context.Background(), w, opts))
}

// restoreProgramFlags puts the program's own flags (cfg.Flags) back as start recorded them.
// A flag the record lacks, one that a newer build of the program added since (a restart
// once its binary was replaced on disk), has the value a start without it would give it
// (its env:"" variable, an empty one counting as unset, else its default:"", a type:"path"
// one resolved in cwd, the directory start ran in, while it is one), never its zero value.
// A flag the record has gets the recorded value alone: its default is not looked at (one
// that cannot be parsed here, an existingfile that is not, does not matter), nor merged
// into it (a map).
func restoreProgramFlags(cfg Config, recorded json.RawMessage, cwd string) error {
	var keys map[string]json.RawMessage
	if json.Unmarshal(recorded, &keys) == nil {
		err := inDir(cwd, func() error { return applyMissingDefaults(cfg, keys) })
		if err != nil {
			return err
		}
	}
	return json.Unmarshal(recorded, cfg.Flags) // says what is wrong with a record of another shape
}

// applyMissingDefaults gives each flag of cfg.Flags that is still zero and whose field the
// record lacks (no key of keys names the field of cfg.Flags it is in) its default, as Kong
// does before it parses a command line.
func applyMissingDefaults(cfg Config, keys map[string]json.RawMessage) error {
	k, err := kong.New(cfg.Flags, kong.Vars(cfg.vars()))
	if err != nil {
		return err
	}
	kctx, err := kong.Trace(k, nil)
	if err != nil {
		return err
	}
	if err := ignoreEmptyEnvars(kctx); err != nil {
		return err
	}
	root := reflect.ValueOf(cfg.Flags).Elem()
	for _, f := range kctx.Flags() {
		if recordedField(root, f.Target, keys) {
			continue
		}
		if err := f.Value.ApplyDefault(); err != nil {
			return fmt.Errorf("--%s: %w", f.Name, err)
		}
	}
	return nil
}

// recordedField reports whether target, a value inside the struct root, is in the record
// keys holds of root in JSON: each field it lies in has a key there, as encoding/json names
// it (its json tag's name, else its name; never one tagged "-"), a struct's fields looked
// for in its own object, and a field Go embeds looked for beside its own (JSON flattens it).
func recordedField(root, target reflect.Value, keys map[string]json.RawMessage) bool {
	if !target.CanAddr() {
		return true
	}
	at := target.UnsafeAddr()
	for i := range root.NumField() {
		field, sf := root.Field(i), root.Type().Field(i)
		start := field.UnsafeAddr()
		if at < start || at >= start+field.Type().Size() {
			continue
		}
		if sf.Anonymous && field.Kind() == reflect.Struct {
			return recordedField(field, target, keys)
		}
		name := sf.Name
		if tag, _, _ := strings.Cut(sf.Tag.Get("json"), ","); tag == "-" {
			return false // never recorded: it has its default
		} else if tag != "" {
			name = tag
		}
		raw, ok := recordedKey(keys, name)
		if !ok {
			return false
		}
		if field.Kind() != reflect.Struct || at == start && field.Type() == target.Type() {
			return true
		}
		var inner map[string]json.RawMessage
		if json.Unmarshal(raw, &inner) != nil {
			return true // not an object: the record's value, whole
		}
		return recordedField(field, target, inner)
	}
	return true
}

// recordedKey is the value keys holds for name, matched as json.Unmarshal matches them.
func recordedKey(keys map[string]json.RawMessage, name string) (json.RawMessage, bool) {
	if raw, ok := keys[name]; ok {
		return raw, true
	}
	for key, raw := range keys {
		if strings.EqualFold(key, name) {
			return raw, true
		}
	}
	return nil, false
}

// inDir runs f in dir, or where this process is if dir is "" or no longer a directory, and
// then moves back.
func inDir(dir string, f func() error) error {
	back, err := os.Getwd()
	if dir == "" || err != nil || os.Chdir(dir) != nil {
		return f()
	}
	err = f()
	if cerr := os.Chdir(back); cerr != nil {
		return errors.Join(err, cerr)
	}
	return err
}

// serverExit is the exit of a process whose server.Run logged everything: an instance
// already running is exit 3 (start says so; the log stays untouched), a supervised
// program's status is the process's, any other failure is exit 1, with nothing more to
// print on descriptor 2, which is the log.
func serverExit(err error) error {
	var ended *supervisor.ExitError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pidfile.ErrLocked):
		return withCode(exitAlreadyUp, nil)
	case errors.As(err, &ended):
		return withCode(ended.ExitCode(), nil)
	}
	return withCode(exitFailed, nil)
}

// ownSession is this daemon's session if the strategy that detached it started one, the
// instance's own; 0 if it shares its caller's (nohup), or runs in the foreground ("").
func ownSession(strategyName string) int {
	d, err := strategy.Lookup(strategyName)
	if strategyName == "" || err != nil || !d.Traits.NewSession {
		return 0
	}
	sid, err := unix.Getsid(0)
	if err != nil {
		return 0
	}
	return sid
}

// recordedRequest is the request the record keeps of req, a daemon's, whose environment
// (the work's: start does not send it twice over) is env: with what the work inherits,
// kept for restart (ProcessFlags.Inherited), which is env with what --env-file, --env,
// --user and start's defaults set taken back off, so that restart sets them as they are
// then: a variable dropped from an env file is dropped too.
func (req *request) recordedRequest(env []string) json.RawMessage {
	recorded := *req
	recorded.EnvBase = nil
	if !req.ClearEnv {
		recorded.Inherited = inheritable(underneath(env, req.EnvBase))
	}
	raw, _ := json.Marshal(recorded) // a request always encodes
	return raw
}

// serverOptions is the daemon-side view of the request.
func (req *request) serverOptions(cfg Config) server.Options {
	raw := req.recordedRequest(os.Environ())
	return server.Options{
		Name:            req.Name,
		PIDFile:         req.PIDFile,
		LogPath:         req.Log,
		RecordPath:      req.Record,
		IgnoreHUP:       req.IgnoreHUP,
		ShutdownTimeout: req.ShutdownTimeout,
		ReadyTimeout:    cmp.Or(req.ReadyTimeout, launcherReadyTimeout), // the launcher's: see launcher.Launch
		StartLock:       instance.Paths{Name: req.Name, PIDFile: req.PIDFile}.StartLock(),
		Record: instance.Record{
			Name:       req.Name,
			Strategy:   req.Strategy,
			Log:        req.Log,
			PIDFile:    req.PIDFile,
			Program:    cfg.Name,
			Build:      buildOf(cfg),
			Request:    raw,
			Command:    req.command(), // what status shows of a start that fails before its program runs
			Ready:      req.readiness(),
			Invocation: os.Getenv(instance.InvocationEnv), // start's, for this run
			Session:    ownSession(req.Strategy),
		},
	}
}

// command is the supervised program's command line, nil for the program's own work.
func (req *request) command() []string {
	if req.Supervise == nil {
		return nil
	}
	return req.Supervise.Command
}

// readiness is the supervised program's readiness check (--ready), "" for the program's
// own work.
func (req *request) readiness() string {
	if req.Supervise == nil {
		return ""
	}
	return req.Supervise.Ready
}

// logWriter is the Writer of a daemon's log on descriptor 2, named name in its errors, whose
// notice of dropped lines is a line of prog's logger in format ("json" or text), as the
// daemon's own lines around it are.
func logWriter(name, prog, format string) *logfile.Writer {
	return logWriterOn(2, name, prog, format)
}

// logWriterOn is logWriter on descriptor fd.
func logWriterOn(fd int, name, prog, format string) *logfile.Writer {
	out := logfile.NewWriter(fd, name)
	out.Notice = dropNotice(prog, format == "json")
	return out
}

// holdLog takes the log on descriptors 1 and 2, named name, as the daemon's
// (logfile.HoldDescriptors), and returns it with logWriter's Writer on the daemon's own
// descriptor of it. If it cannot (no descriptor left), the Writer writes descriptor 2, as
// before, and held is nil.
func holdLog(name, prog, format string) (held *logfile.Descriptors, out *logfile.Writer) {
	held, err := logfile.HoldDescriptors(name, 1, 2)
	if err != nil {
		return nil, logWriter(name, prog, format)
	}
	return held, logWriterOn(held.FD(), name, prog, format)
}

// dropNotice formats the line a daemon's log gets once it can be written again after
// lines were dropped, in the logger's own format.
func dropNotice(name string, asJSON bool) func(uint64, error) []byte {
	return func(dropped uint64, cause error) []byte {
		var b bytes.Buffer
		log := newLogger(name, "warn", map[bool]string{true: "json", false: "text"}[asJSON], &b)
		log.Warn(fmt.Sprintf("dropped %d log lines", dropped), "error", cause)
		return b.Bytes()
	}
}

// underneath is env with each entry of base put back: KEY=VALUE replaces (or adds) KEY,
// and KEY alone removes it.
func underneath(env, base []string) []string {
	for _, kv := range base {
		k, _, hasValue := strings.Cut(kv, "=")
		env = slices.DeleteFunc(env, func(e string) bool { ek, _, _ := strings.Cut(e, "="); return ek == k })
		if hasValue {
			env = append(env, kv)
		}
	}
	return env
}
