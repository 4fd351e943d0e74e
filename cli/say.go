package cli

import (
	"fmt"
	"io"

	"github.com/hashicorp/go-hclog"
)

// say writes to w (stderr, or an instance's share of it under --all) a line of the
// command's own that does not end it: a warning, a note, one instance's error. In text it
// is "NAME: LABEL MSG" (label "warning: ", "note: " or none); with --log-format json, one
// JSON line at level, MSG its @message and args its fields, as the command's own error is
// (Config.exitIn), so that a collector that reads stderr as JSON lines reads every line.
// MSG's control characters are escaped as a command's last error's are (visibleIn): a
// path or name in a warning cannot move the cursor or retitle the terminal either.
func (a *App) say(w io.Writer, level hclog.Level, label, msg string, args ...any) {
	if a.Globals != nil && a.Globals.LogFormat == "json" {
		newLogger(a.Config.Name, level.String(), "json", w).Log(level, visibleBut(msg, 0x20), args...)
		return
	}
	fmt.Fprintf(w, "%s: %s%s\n", a.Config.Name, label, visible(msg))
}
