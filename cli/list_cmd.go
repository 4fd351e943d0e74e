package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/go-hclog"

	"github.com/daemonkit/daemonkit/instance"
)

// ListCmd shows every instance of the state directory. It never changes anything on disk.
type ListCmd struct {
	JSON bool `help:"Print the list as a JSON array, for scripts."`
}

// listRow is one instance as list prints it.
type listRow struct {
	Name          string    `json:"name"`
	State         string    `json:"state"` // running, starting, stopping, restarting, stale, failed, stopped, down, unknown
	PID           int       `json:"pid,omitempty"`
	Strategy      string    `json:"strategy,omitempty"`
	StartedAt     time.Time `json:"started_at,omitzero"`
	UptimeSeconds float64   `json:"uptime_seconds,omitempty"`
	StoppedAt     time.Time `json:"stopped_at,omitzero"`
	// Restarts is 0 in --json where no record of the run tells it (restartsKnown is false):
	// the table says "-" then, but the field stays a number, as scripts read it.
	Restarts int      `json:"restarts"`
	LastExit string   `json:"last_exit,omitempty"`
	Command  []string `json:"command"`       // the supervised command line, or the program's name; empty when no record of its run tells
	Log      string   `json:"log,omitempty"` // none for a run that logged to its stderr (foreground, no --log)
	PIDFile  string   `json:"pidfile"`
	Problem  string   `json:"problem,omitempty"`
	// Copies are an instance's copies while it holds sockets (start --socket): the one
	// serving, and any starting or draining in an upgrade.
	Copies []instance.Copy `json:"copies,omitempty"`
	// LeftRunning are the processes a not-running instance's last run left running (its
	// daemon was killed): stop kills them.
	LeftRunning []int `json:"left_running,omitempty"`
	// Stopped says its daemon (or, while it is starting, its start command) is stopped
	// by a signal, and ChildStopped its supervised program (ChildPID): each serves nothing
	// until SIGCONT, as status says (its fields of the same names).
	Stopped      bool `json:"stopped_by_signal,omitempty"`
	ChildStopped bool `json:"child_stopped_by_signal,omitempty"`
	ChildPID     int  `json:"child_pid,omitempty"` // a supervised program's pid, while it runs
	// ChildEnded says, as status's field of that name, that the program's process its
	// record names has ended while its daemon runs (a zombie, or a named main gone).
	ChildEnded bool `json:"child_ended,omitempty"`

	paths         instance.Paths // for a hint's command line
	restartsKnown bool           // a record of the run tells Restarts
	startPID      int            // starting, its daemon not launched yet: the start command's pid
}

// Run prints the table (or JSON) and exits 0, whatever state the instances are in.
func (c *ListCmd) Run(app *App) error {
	layout, err := app.layout(false)
	if err != nil {
		return err
	}
	entries, err := instance.List(layout)
	if err != nil {
		return err
	}
	rows := make([]listRow, 0, len(entries))
	for _, e := range entries {
		rows = append(rows, newListRow(e))
	}
	if c.JSON {
		enc := json.NewEncoder(app.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			return fmt.Errorf("write list: %w", err)
		}
		return nil
	}
	now := time.Now()
	tw := tabwriter.NewWriter(app.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tPID\tSTRATEGY\tUPTIME\tRESTARTS\tLAST EXIT\tCOMMAND")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.State, orDash(pidText(r.PID)),
			orDash(r.Strategy), r.since(now), r.restartsText(), orDash(r.LastExit), orDash(shellJoin(r.Command)))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write list: %w", err)
	}
	for _, r := range rows {
		for _, c := range r.Copies {
			if len(r.Copies) > 1 || c.State != "ready" { // one ready copy is the program itself
				fmt.Fprintf(app.Stdout, "%s: copy generation %d, pid %d, %s\n", r.Name, c.Generation, c.PID, c.State)
			}
		}
	}
	for _, r := range rows {
		r.writeStopped(app.Stdout)
	}
	for _, r := range rows {
		if len(r.LeftRunning) > 0 {
			fmt.Fprintf(app.Stdout, "%s: its last run left %s running; '%s' kills what is left\n",
				r.Name, pidList(r.LeftRunning), app.commandFor("stop", r.paths))
		}
	}
	for _, r := range rows {
		if r.Problem != "" {
			app.say(app.Config.Stderr, hclog.Warn, "", "list: "+r.Name+": "+r.Problem, "instance", r.Name)
		}
	}
	return nil
}

// newListRow is what list shows of e. What it tells of the run (strategy, command,
// restarts, times) comes from the record of that run only (Entry.RunRecord): a daemon not
// ready yet has none, and is shown with "-" rather than an earlier run's, or a guess.
func newListRow(e instance.Entry) listRow {
	r := listRow{
		Name: e.Paths.Name, State: e.State(), PID: e.Status.PID(), LastExit: e.LastExit(),
		Log: listLog(e), PIDFile: e.Paths.PIDFile, Command: []string{}, paths: e.Paths,
	}
	switch { // what status would note too
	case e.Err != nil:
		r.Problem = e.Err.Error()
	case e.Status.ContentProblem() != nil:
		r.Problem = "pidfile " + e.Paths.PIDFile + ": " + e.Status.ContentProblem().Error()
	case e.RecordErr != nil:
		r.Problem = unreadableRecordNote(e.Paths, e.RecordErr, e.Status.Running())
	case e.Status.Unlocked && e.Status.Record.ByLock: // no record tells its log either
		r.Problem, r.Log = byLockNote(r.PID), ""
	}
	if rec := e.RunRecord(); rec != nil {
		r.Strategy, r.Restarts, r.restartsKnown = rec.Strategy, rec.Restarts, true
		switch {
		case len(rec.Command) > 0:
			r.Command = exactCommand(rec)
		case rec.Program != "":
			r.Command = []string{rec.Program}
		}
		if e.Status.Running() {
			r.ChildPID = rec.ChildPID
			if !rec.CalledOffStart() { // one that never got ready has no uptime
				r.StartedAt, r.UptimeSeconds = rec.StartedAt, e.Status.Uptime.Seconds()
			}
			if len(rec.Sockets) > 0 {
				r.Copies = rec.Copies
			}
		} else {
			r.StoppedAt = rec.StoppedAt
		}
	}
	if e.Err == nil && (e.Status.Running() || e.Status.Starting) {
		r.Stopped, r.startPID = e.Status.Stopped, e.Status.StartPID
		prog := e.Status.Program()
		if prog.Stopped {
			r.ChildStopped, r.ChildPID = true, prog.PID
		}
		r.ChildEnded = prog.Ended || prog.Gone
	}
	if rec := e.Record; rec != nil && e.Err == nil && !e.Status.Running() {
		r.LeftRunning = instance.Leftovers(e.Paths, *rec) // whichever run it is of: stop kills them
		r.copied(*rec)
	}
	return r
}

// writeStopped says, after the table, what of r is stopped by a signal, as status says it.
func (r listRow) writeStopped(w io.Writer) {
	switch {
	case r.Stopped && r.PID == 0: // its start command, which launches its daemon
		fmt.Fprintf(w, "%s: its start command (pid %d) is stopped by a signal (SIGSTOP or SIGTSTP: Ctrl-Z): it holds the start lock until SIGCONT ('kill -CONT %d')\n",
			r.Name, r.startPID, r.startPID)
	case r.Stopped:
		fmt.Fprintf(w, "%s: %s\n", r.Name, daemonStoppedBySignal(r.PID))
	}
	if r.ChildStopped {
		fmt.Fprintf(w, "%s: %s\n", r.Name, programStoppedBySignal(r.ChildPID))
	}
}

// copied makes r, of an instance not running whose record lies in a copy of the directory
// where the instance runs now, say what status says of the copied run (copiedRun): that
// it runs there, or ended there unseen by the copy; neither crashed nor failed.
func (r *listRow) copied(rec instance.Record) {
	dir, pid, goesOn, ok := copiedRun(rec, r.paths.Record)
	if !ok {
		return
	}
	if r.State == instance.StateFailed {
		r.State = instance.StateStopped
	}
	if r.LastExit = endedUnseen(dir); goesOn {
		r.LastExit = fmt.Sprintf("runs in %s (pid %d)", dir, pid)
	}
}

// byLockNote is what status and list say of a daemon found by the lock it holds on its
// deleted pidfile alone (instance.Record.ByLock), pid.
func byLockNote(pid int) string {
	return fmt.Sprintf("its pidfile and its record are gone (deleted by hand, with their directory) and it could not put them back; the lock it holds on its deleted pidfile proves pid %d", pid)
}

// listLog is the log list names for e: the one its record names, or none when its record
// says it had no file (a foreground start without --log logs to its stderr, as status and
// logs say) or is there but cannot be read (another user's, damaged: which log its run
// wrote only the record says, and this user's default would be a guess, which status and
// logs do not make either); without a record, the default path, where a start would put it.
func listLog(e instance.Entry) string {
	if rec := e.Record; rec != nil && rec.Program != "" && rec.Log == "" {
		return ""
	}
	if e.Record == nil && e.RecordErr != nil {
		return ""
	}
	return e.Paths.Log
}

// since is the UPTIME column: how long a running instance has been up, or how long ago a
// stopped one stopped ("down 5m"); "-" when unknown.
func (r listRow) since(now time.Time) string {
	switch {
	case !r.StartedAt.IsZero():
		return roughDuration(time.Duration(r.UptimeSeconds * float64(time.Second)))
	case !r.StoppedAt.IsZero() && r.State != instance.StateRunning:
		return "down " + roughDuration(now.Sub(r.StoppedAt))
	}
	return "-"
}

// restartsText is the RESTARTS column: "-" where no record of the run tells how often its
// program restarted (a start not ready yet, a record that cannot be read), never a 0 that
// could be wrong.
func (r listRow) restartsText() string {
	if !r.restartsKnown {
		return "-"
	}
	return strconv.Itoa(r.Restarts)
}

// roughDuration keeps a duration short for a table: 42s, 5m12s, 3h4m, 2d5h; under a
// second, "<1s", as status says it too (upFor): "0s" would read as a count that is stuck.
func roughDuration(d time.Duration) string {
	d = max(d, 0)
	switch {
	case d < time.Second:
		return "<1s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", d/time.Second)
	case d < time.Hour:
		return fmt.Sprintf("%dm%ds", d/time.Minute, d%time.Minute/time.Second)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%dm", d/time.Hour, d%time.Hour/time.Minute)
	}
	return fmt.Sprintf("%dd%dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
}

func pidText(pid int) string {
	if pid == 0 {
		return ""
	}
	return strconv.Itoa(pid)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// shellJoin joins a command line as a shell would read it back, quoting what needs it. An
// argument with a control character or bytes that are not UTF-8 is written in $'...' (bash,
// zsh, ksh and POSIX.1-2024 sh read it), with \n, \t, \xHH and \uHHHH escapes: a newline
// or an escape sequence in a program's arguments must not break list's table or reach the
// terminal.
func shellJoin(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		switch {
		case a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == "":
			quoted[i] = a
		case utf8.ValidString(a) && strings.IndexFunc(a, unicode.IsControl) < 0:
			quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		default:
			quoted[i] = ansiQuote(a)
		}
	}
	return strings.Join(quoted, " ")
}

// showPath is the path p as a line of output shows it: as it is, spaces and all, unless it
// holds a control character or bytes that are not UTF-8, which ansiQuote writes as escapes
// in $'...', so that a newline in a file name cannot break a line of start's or status'
// output in two, nor an escape sequence in one reach the terminal.
func showPath(p string) string {
	if utf8.ValidString(p) && strings.IndexFunc(p, unicode.IsControl) < 0 {
		return p
	}
	return ansiQuote(p)
}

// adviceJoin joins a command line as shellJoin does, for advice the output sets off in
// single quotes ('daemonkit --state-dir "/srv/my state" stop --name web' kills it): each
// argument is quoted as adviceWord quotes it.
func adviceJoin(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = adviceWord(a)
	}
	return strings.Join(quoted, " ")
}

// adviceWord quotes a for adviceJoin: an argument that needs quoting and holds none of ",
// $, `, \ and ! (which double quotes would not keep as they are) goes in double quotes, so
// its quotes do not nest in the advice's and what is between the advice's outer quotes
// pastes into sh as it is. Any other argument is quoted as shellJoin quotes it, which sh
// reads back the same, but one with a control character or a byte that is not UTF-8,
// which printfQuote quotes.
func adviceWord(a string) string {
	one := shellJoin([]string{a})
	switch {
	case !utf8.ValidString(a) || strings.IndexFunc(a, unicode.IsControl) >= 0:
		return printfQuote(a)
	case one != a && !strings.ContainsAny(a, "\"$`\\!"):
		return `"` + a + `"`
	}
	return one
}

// printfQuote writes a, which holds a control character or a byte that is not UTF-8, as
// "$(printf 'FORMAT')", those written as octal escapes (a leading -, which printf would
// take for an option, too): every POSIX sh, dash too, reads it
// back as a (dash, a common sh, has no $'...' quoting yet), and a terminal shows no raw
// control character. The newlines a ends in, which the command substitution would strip,
// follow it as they are, in double quotes of their own ("$(printf 'x\011y')"" and a
// newline and a closing quote), which every sh reads as part of the same word.
func printfQuote(a string) string {
	if body := strings.TrimRight(a, "\n"); body != a {
		newlines := `"` + a[len(body):] + `"`
		if body == "" {
			return newlines
		}
		return adviceWord(body) + newlines
	}
	var b strings.Builder
	b.WriteString(`"$(printf '`)
	for i := 0; i < len(a); {
		r, size := utf8.DecodeRuneInString(a[i:])
		switch {
		case r == utf8.RuneError && size == 1, unicode.IsControl(r):
			for _, c := range []byte(a[i : i+size]) {
				fmt.Fprintf(&b, `\%03o`, c)
			}
		case r == '\\':
			b.WriteString(`\\`)
		case r == '%':
			b.WriteString(`%%`)
		case r == '\'':
			b.WriteString(`'\''`)
		case r == '-' && i == 0: // printf would take a leading - for an option of its own
			b.WriteString(`\055`)
		default:
			b.WriteString(a[i : i+size])
		}
		i += size
	}
	b.WriteString(`')"`)
	return b.String()
}

// ansiQuote writes a in $'...' quoting, escaping what cannot be shown as it is.
func ansiQuote(a string) string {
	var b strings.Builder
	b.WriteString("$'")
	writeEscaped(&b, a, unicode.IsControl, func(r rune) string {
		switch r {
		case '\'', '\\':
			return "\\" + string(r)
		case '\n':
			return `\n`
		case '\t':
			return `\t`
		}
		return ""
	})
	b.WriteByte('\'')
	return b.String()
}
