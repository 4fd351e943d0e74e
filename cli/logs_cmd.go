package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/alecthomas/kong"
	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/logfile"
)

// LogsCmd prints the last lines of an instance's log and, with -f, what is appended to
// it. Its -n is the number of lines, as tail's; the name has no short flag here.
type LogsCmd struct {
	Name    string `placeholder:"NAME" help:"Instance name (default: the state directory's only instance, else \"${default_name}\")."`
	PIDFile string `name:"pidfile" placeholder:"PATH" help:"Pidfile path (default <state-dir>/<name>.pid)."`
	Lines   int    `short:"n" default:"50" placeholder:"N" help:"How many of the last lines to print (default ${default})."`
	Follow  bool   `short:"f" help:"Then print what is appended, following the log by name across a reopen (logrotate), until interrupted (Ctrl-C or SIGTERM: exit 0)."`
}

// flags are the instance flags logs shares with every instance command.
func (c *LogsCmd) flags() *InstanceFlags {
	return &InstanceFlags{Name: c.Name, PIDFile: c.PIDFile}
}

// Validate refuses a bad name or line count at parse time.
func (c *LogsCmd) Validate() error {
	if c.Lines < 0 {
		return fmt.Errorf("-n %d: want 0 or more lines", c.Lines)
	}
	return c.flags().Validate()
}

// AfterApply refuses an empty --name or --pidfile, as every instance command does.
func (c *LogsCmd) AfterApply(kctx *kong.Context) error {
	return checkGivenNames(kctx, &c.Name, &c.PIDFile)
}

// Run prints the lines, and with -f follows the log until SIGINT or SIGTERM.
func (c *LogsCmd) Run(app *App) error {
	paths, err := c.flags().target(app)
	if err != nil {
		return err
	}
	path := logPath(paths)
	if !c.Follow {
		err := printLast(app.Stdout, path, c.Lines)
		if errors.Is(err, fs.ErrNotExist) {
			return withCode(exitFailed, fmt.Errorf("%s has no log at %s", paths.Name, path))
		}
		return err
	}
	ctx, stop := interruptible()
	defer stop()
	return logfile.Follow(ctx, path, c.Lines, app.Stdout)
}

// printLast writes the last n lines of the log at path to w; an unfinished last line is
// ended. It never follows a symlink and never blocks on a FIFO; anything but a regular
// file is refused.
func printLast(w io.Writer, path string, n int) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			err = errors.New("a symbolic link: refusing it")
		}
		return &fs.PathError{Op: "read log", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return &fs.PathError{Op: "read log", Path: path, Err: err}
	}
	if !fi.Mode().IsRegular() {
		return &fs.PathError{Op: "read log", Path: path, Err: fmt.Errorf("not a regular file (%s)", fi.Mode().Type())}
	}
	size := fi.Size()
	start, err := lastLinesStart(f, size, n)
	if err != nil {
		return &fs.PathError{Op: "read log", Path: path, Err: err}
	}
	last := make([]byte, 1)
	if _, err := io.Copy(w, io.NewSectionReader(f, start, size-start)); err != nil {
		return err
	}
	if size > start {
		if _, err := f.ReadAt(last, size-1); err == nil && last[0] != '\n' {
			_, err = w.Write([]byte{'\n'})
			return err
		}
	}
	return nil
}

// lastLinesStart returns the offset at which the last n lines of f (size bytes) begin;
// an unfinished last line counts as one.
func lastLinesStart(f io.ReaderAt, size int64, n int) (int64, error) {
	if n == 0 || size == 0 {
		return size, nil
	}
	buf := make([]byte, 32<<10)
	want := n + 1 // the newline before the first line wanted, counting the file's last one
	if _, err := f.ReadAt(buf[:1], size-1); err != nil {
		return 0, err
	}
	if buf[0] != '\n' {
		want = n // an unfinished last line: no newline ends it
	}
	for end := size; end > 0; {
		start := max(0, end-int64(len(buf)))
		b := buf[:end-start]
		if _, err := f.ReadAt(b, start); err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] == '\n' {
				if want--; want == 0 {
					return start + int64(i) + 1, nil
				}
			}
		}
		end = start
	}
	return 0, nil
}
