package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/daemonkit/daemonkit/strategy"
)

// StrategiesCmd lists the registered strategies and what each leaves behind.
type StrategiesCmd struct {
	JSON bool `help:"Print the list as JSON, for scripts."`
}

// strategyRow is one strategy as `strategies --json` prints it.
type strategyRow struct {
	Name          string `json:"name"`
	Summary       string `json:"summary"`
	NewSession    bool   `json:"new_session"`
	SessionLeader bool   `json:"session_leader"`
	KeepsTerminal bool   `json:"keeps_terminal"`
	SIGHUP        string `json:"sighup"`
	Default       bool   `json:"default"`
}

// Run prints the table (or JSON) to stdout.
func (c *StrategiesCmd) Run(app *App) error {
	var rows []strategyRow
	for _, d := range strategy.All() {
		rows = append(rows, strategyRow{
			Name: d.Name, Summary: d.Summary,
			NewSession: d.Traits.NewSession, SessionLeader: d.Traits.SessionLeader,
			KeepsTerminal: d.Traits.KeepsTerminal, SIGHUP: d.Traits.SIGHUP(),
			Default: d.Name == app.Config.DefaultStrategy,
		})
	}
	if c.JSON {
		enc := json.NewEncoder(app.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			return fmt.Errorf("write strategies: %w", err)
		}
		return nil
	}
	tw := tabwriter.NewWriter(app.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tNEW SESSION\tSESSION LEADER\tKEEPS TERMINAL\tSIGHUP\tSUMMARY")
	for _, r := range rows {
		name := r.Name
		if r.Default {
			name += " (default)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", name, yesNo(r.NewSession), yesNo(r.SessionLeader),
			yesNo(r.KeepsTerminal), r.SIGHUP, r.Summary)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write strategies: %w", err)
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
