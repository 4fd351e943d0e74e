package cli

import (
	"fmt"
	"io"

	"github.com/hashicorp/go-hclog"
)

// say writes to w (stderr, or an instance's share of it under --all) a line of the
// command's own that does not end it: a warning, a note, one instance's error, as sayLine
// does in the command's --log-format.
func (a *App) say(w io.Writer, level hclog.Level, label, msg string, args ...any) {
	format := "text"
	if a.Globals != nil {
		format = a.Globals.LogFormat
	}
	sayLine(w, a.Config.Name, format, level, label, msg, args...)
}

// sayLine writes to w a line of the command name's own, in format: in text "NAME: LABEL
// MSG" (label "warning: ", "note: " or none); in json, one JSON line at level, MSG its
// @message and args its fields, so that a collector that reads stderr as JSON lines reads
// every line. A command's last word (Config.exitIn) is written so too.
//
// MSG is shown as list and status show names: a control character (ESC of a path's
// \e[2J, a NUL) or a byte that is not UTF-8 is escaped, never sent to the terminal. In
// JSON, whose encoder escapes each C0 control character itself (\u001b; escaped here too,
// @message would read \\x1b), only what it leaves as it is: a C1 control (U+009B, CSI, is
// one to a terminal that takes 8-bit controls) and DEL, which it writes raw, and a byte
// that is not UTF-8, which it writes as U+FFFD, losing it.
func sayLine(w io.Writer, name, format string, level hclog.Level, label, msg string, args ...any) {
	if format == "json" {
		newLogger(name, level.String(), "json", w).Log(level, visibleBut(msg, 0x20), args...)
		return
	}
	fmt.Fprintf(w, "%s: %s%s\n", name, label, visible(msg))
}
