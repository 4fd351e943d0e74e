package logfile

import (
	"io"
	"io/fs"
)

// Last writes the last n lines of the log at path to w (all of them if n < 0), ending an
// unfinished last line. It never follows a symlink and never blocks on a FIFO: anything
// but a regular file is refused, with an error wrapping ErrNotRegular; a missing file is
// an error wrapping fs.ErrNotExist.
func Last(w io.Writer, path string, n int) error {
	f, st, err := openRead(path)
	if err != nil {
		return &fs.PathError{Op: "read log", Path: path, Err: err}
	}
	defer f.Close()
	size := st.Size
	start, err := lastLines(f, size, n)
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
