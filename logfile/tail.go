package logfile

import (
	"bytes"
	"io"
	"strings"

	"golang.org/x/sys/unix"
)

// tailBytes is how far back from the end of the log Tail looks for lines.
const tailBytes = 16 << 10

// Size returns the size of the regular file at path, or 0 if there is none or it cannot be
// examined. A launcher takes it before the daemon it starts can write, and later passes it
// to Tail as from, so that an error quotes only the lines of that run.
func Size(path string) int64 {
	var st unix.Stat_t
	if unix.Lstat(path, &st) != nil || checkRegular(&st) != nil {
		return 0
	}
	return st.Size
}

// Tail returns up to n of the last lines written to the log at path at offset from or
// later, looking no further back than 16 KiB from its end; a partial first line is left
// out, and so is the newline ending each line. It never blocks on a FIFO and never follows
// a symlink. Errors, a file shorter than from (truncated or replaced since) and an empty
// path give no lines: the tail is a courtesy for error messages.
func Tail(path string, from int64, n int) []string {
	if path == "" || n <= 0 {
		return nil
	}
	f, st, err := openRead(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	size := st.Size
	if size <= from {
		return nil
	}
	start := max(from, size-tailBytes)
	b, err := io.ReadAll(io.NewSectionReader(f, start, size-start))
	if err != nil {
		return nil
	}
	if start > from { // began mid-line: drop the partial first line
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		} else {
			return nil
		}
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	return lines[max(0, len(lines)-n):]
}
