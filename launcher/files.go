package launcher

import (
	"fmt"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/daemonkit/daemonkit/logfile"
	"github.com/daemonkit/daemonkit/strategy"
)

// tailLines is how many of the log's last lines an error quotes.
const tailLines = 10

// openFiles opens /dev/null for the daemon's stdin and the log for its stdout and stderr
// (see logfile.Open: appended to, created 0640, never through a symlink, never blocking on
// a FIFO), and returns the log's size before this run, so that only this run's lines are
// quoted later. An empty logPath means /dev/null.
func openFiles(logPath string) (strategy.Files, int64, error) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		return strategy.Files{}, 0, err
	}
	if logPath == "" {
		out, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			null.Close()
			return strategy.Files{}, 0, err
		}
		return strategy.Files{Stdin: null, Stdout: out, Stderr: out}, 0, nil
	}
	lf, err := logfile.Open(logPath)
	if err != nil {
		null.Close()
		return strategy.Files{}, 0, err
	}
	fi, err := lf.Stat()
	if err != nil {
		null.Close()
		lf.Close()
		return strategy.Files{}, 0, err
	}
	return strategy.Files{Stdin: null, Stdout: lf, Stderr: lf}, fi.Size(), nil
}

// closeFiles closes what openFiles opened and the handshake's write end.
func closeFiles(f strategy.Files) {
	if f.Stderr == f.Stdout {
		f.Stderr = nil
	}
	for _, c := range []*os.File{f.Stdin, f.Stdout, f.Stderr, f.Ready} {
		if c != nil {
			c.Close()
		}
	}
}

// formatTail puts lines after an error message: "\nlast lines of its log:\n  ...".
func formatTail(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\nlast lines of its log:")
	for _, line := range lines {
		b.WriteString("\n    ")
		writeVisible(&b, line)
	}
	return b.String()
}

// writeVisible writes line with its control characters (but tab) and bytes that are not
// UTF-8 escaped as \xNN, so that a program's escape sequences, quoted in start's error, do
// not reach the terminal (a title, a colour left on, a cleared screen).
func writeVisible(b *strings.Builder, line string) {
	for i := 0; i < len(line); {
		r, size := utf8.DecodeRuneInString(line[i:])
		switch {
		case r == utf8.RuneError && size <= 1, r != '\t' && unicode.IsControl(r):
			for _, c := range []byte(line[i : i+size]) {
				fmt.Fprintf(b, "\\x%02x", c)
			}
		default:
			b.WriteString(line[i : i+size])
		}
		i += size
	}
}
