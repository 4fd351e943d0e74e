package logfile

import (
	"io"
	"io/fs"
	"os"
)

// Lines chooses where Print and Follow begin in a log, as tail's -n does: at the last N
// lines (all of them if N < 0, none if N is 0), or, with FromLine, at line N (tail's
// -n +N: 0 and 1 are the first line; past the last line, nothing). An unfinished last line
// counts as a line.
type Lines struct {
	N        int
	FromLine bool
}

// Last writes the last n lines of the log at path to w (all of them if n < 0): Print with
// Lines{N: n}.
func Last(w io.Writer, path string, n int) error {
	return Print(w, path, Lines{N: n})
}

// Print writes the lines of the log at path that l chooses to w, ending an unfinished last
// line. It never follows a symlink and never blocks on a FIFO: anything but a regular file
// is refused, with an error wrapping ErrNotRegular, and so is a file another user than the
// effective one or root owns (ErrNotOwner); a missing file is an error wrapping
// fs.ErrNotExist.
func Print(w io.Writer, path string, l Lines) error {
	f, st, err := openRead(path)
	if err != nil {
		return &fs.PathError{Op: "read log", Path: path, Err: err}
	}
	defer f.Close()
	size := st.Size
	start, err := l.offset(f, size)
	if err != nil {
		return &fs.PathError{Op: "read log", Path: path, Err: err}
	}
	if _, err := io.Copy(w, io.NewSectionReader(f, start, size-start)); err != nil {
		return err
	}
	if size > start {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, size-1); err == nil && last[0] != '\n' {
			_, err = w.Write([]byte{'\n'})
			return err
		}
	}
	return nil
}

// offset returns the offset in f (size bytes long) of the first byte l chooses.
func (l Lines) offset(f *os.File, size int64) (int64, error) {
	if l.FromLine {
		return lineStart(f, size, l.N)
	}
	return lastLines(f, size, l.N)
}

// lineStart returns the offset at which line n of f (size bytes long) begins, counting
// from 1 (0 is 1 too), or size if f has fewer lines.
func lineStart(f *os.File, size int64, n int) (int64, error) {
	want := n - 1 // newlines to pass
	if want <= 0 {
		return 0, nil
	}
	buf := make([]byte, 32<<10)
	for start := int64(0); start < size; {
		b := buf[:min(int64(len(buf)), size-start)]
		if _, err := f.ReadAt(b, start); err != nil {
			return 0, err
		}
		for i, c := range b {
			if c == '\n' {
				if want--; want == 0 {
					return start + int64(i) + 1, nil
				}
			}
		}
		start += int64(len(b))
	}
	return size, nil
}
