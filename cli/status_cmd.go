package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/pidfile"
)

// StatusCmd reports on an instance with LSB exit codes. It never changes anything on disk.
type StatusCmd struct {
	InstanceFlags
	JSON bool `help:"Print the status as one JSON object."`
}

// statusReport is status's result, in text or JSON.
type statusReport struct {
	Name          string    `json:"name"`
	State         string    `json:"state"` // running, stale, not running, unknown
	PID           int       `json:"pid,omitempty"`
	FilePID       int       `json:"pidfile_pid,omitempty"`
	Strategy      string    `json:"strategy,omitempty"`
	StartedAt     time.Time `json:"started_at,omitzero"`
	UptimeSeconds float64   `json:"uptime_seconds,omitempty"`
	Listen        string    `json:"listen,omitempty"`
	Log           string    `json:"log,omitempty"`
	PIDFile       string    `json:"pidfile"`
	Problem       string    `json:"problem,omitempty"`
}

// Run prints the status and exits 0 (running), 1 (stale pidfile), 3 (not running) or 4.
func (c *StatusCmd) Run(app *App) error {
	paths, err := c.paths(app, "", false)
	if err != nil {
		return withCode(exitCannotTell, err)
	}
	rep := statusReport{Name: paths.Name, PIDFile: paths.PIDFile, State: "unknown"}
	st, err := instance.Inspect(paths)
	code := exitCannotTell
	if err != nil {
		rep.Problem = err.Error()
	} else {
		code = rep.fill(st)
	}
	if c.JSON {
		enc := json.NewEncoder(app.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("write status: %w", err)
		}
	} else {
		rep.writeText(app.Stdout)
	}
	if code != exitOK {
		return withCode(code, nil)
	}
	return nil
}

// fill copies what Inspect saw and returns the LSB exit code it means.
func (r *statusReport) fill(st instance.Status) int {
	r.FilePID = st.Pidfile.FilePID
	if st.Pidfile.ContentErr != nil {
		r.Problem = st.Pidfile.ContentErr.Error()
	}
	switch st.Pidfile.State {
	case pidfile.Running:
		r.State, r.PID = "running", st.Pidfile.PID
		if st.Pidfile.Mismatch() && st.Pidfile.ContentErr == nil {
			r.Problem = fmt.Sprintf("the pidfile names pid %d but pid %d holds its lock", st.Pidfile.FilePID, st.Pidfile.PID)
		}
		if rec := st.Record; rec != nil {
			r.Strategy, r.StartedAt, r.Listen, r.Log = rec.Strategy, rec.StartedAt, rec.Listen, rec.Log
			r.UptimeSeconds = st.Uptime.Seconds()
		}
		return exitOK
	case pidfile.Stale:
		r.State = "stale"
		return exitFailed
	default:
		r.State = "not running"
		return exitNotRunning
	}
}

func (r *statusReport) writeText(w io.Writer) {
	switch r.State {
	case "running":
		fmt.Fprintf(w, "%s is running (pid %d", r.Name, r.PID)
		if r.Strategy != "" {
			fmt.Fprintf(w, ", strategy %s", r.Strategy)
		}
		if !r.StartedAt.IsZero() {
			fmt.Fprintf(w, ", up %s", (time.Duration(r.UptimeSeconds) * time.Second).String())
		}
		fmt.Fprintln(w, ")")
		printField(w, "listen", r.Listen)
		printField(w, "log", r.Log)
		printField(w, "pidfile", r.PIDFile)
		printField(w, "note", r.Problem)
	case "stale":
		fmt.Fprintf(w, "%s is not running, but its pidfile %s is left behind (stale", r.Name, r.PIDFile)
		if r.FilePID != 0 {
			fmt.Fprintf(w, ", names pid %d", r.FilePID)
		}
		fmt.Fprintln(w, "); 'daemonkit stop' removes it")
		printField(w, "note", r.Problem)
	case "not running":
		fmt.Fprintf(w, "%s is not running\n", r.Name)
	default:
		fmt.Fprintf(w, "%s: cannot tell whether it runs: %s\n", r.Name, r.Problem)
	}
}

func printField(w io.Writer, label, value string) {
	if value != "" {
		fmt.Fprintf(w, "  %-8s %s\n", label+":", value)
	}
}
