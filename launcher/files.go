package launcher

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/daemonkit/daemonkit/strategy"
)

const (
	tailLines = 10       // how many of the log's last lines an error quotes
	tailBytes = 16 << 10 // how far back from the end of the log they are looked for
)

// openFiles opens /dev/null for the daemon's stdin and the log for its stdout and stderr
// (appending, creating it 0644 and its directory 0755), and returns the log's size before
// this run, so that only this run's lines are quoted later. An empty logPath means
// /dev/null.
func openFiles(logPath string) (strategy.Files, int64, error) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		return strategy.Files{}, 0, fmt.Errorf("open %s: %w", os.DevNull, err)
	}
	if logPath == "" {
		out, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			null.Close()
			return strategy.Files{}, 0, fmt.Errorf("open %s: %w", os.DevNull, err)
		}
		return strategy.Files{Stdin: null, Stdout: out, Stderr: out}, 0, nil
	}
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		null.Close()
		return strategy.Files{}, 0, fmt.Errorf("open log %q: %w", logPath, err)
	}
	// os.OpenFile always adds O_CLOEXEC.
	lf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		null.Close()
		return strategy.Files{}, 0, fmt.Errorf("open log %q: %w", logPath, err)
	}
	fi, err := lf.Stat()
	if err != nil {
		null.Close()
		lf.Close()
		return strategy.Files{}, 0, fmt.Errorf("open log %q: %w", logPath, err)
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

// readTail returns up to n of the last lines written to path from offset from on, looking
// no further back than tailBytes. Errors give no lines: the tail is a courtesy.
func readTail(path string, from int64, n int) []string {
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() <= from {
		return nil
	}
	start := max(from, fi.Size()-tailBytes)
	b, err := io.ReadAll(io.NewSectionReader(f, start, fi.Size()-start))
	if err != nil {
		return nil
	}
	if start > from { // began mid-line: drop the partial first line
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	return lines[max(0, len(lines)-n):]
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
		b.WriteString(line)
	}
	return b.String()
}
