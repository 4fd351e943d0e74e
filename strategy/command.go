package strategy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"syscall"
)

// Command returns the command every strategy starts for spec, before the strategy adds its
// own SysProcAttr: Path is spec.Path or this binary (see Executable: on Linux
// /proc/self/exe, which names this binary only to the process that execs it, so a strategy
// that runs the daemon through another program hands it os.Executable()); Args are argv[0]
// (spec.Argv0, or os.Args[0]) followed by spec.Args; Env is spec.Env (nil: this process's, with PWD set to Dir);
// Dir is spec.Dir, or defaultDir if spec.Dir is empty ("" then means the caller's own);
// descriptors 0, 1 and 2 are files.Stdin, files.Stdout and files.Stderr, and files.Ready
// becomes descriptor 3 (ReadyFD).
//
// It checks the working directory first, so that a bad one is reported as
// "chdir /nope: no such file or directory" rather than as a failed exec of the binary.
func Command(spec Spec, files Files, defaultDir string) (*exec.Cmd, error) {
	path := spec.Path
	if path == "" {
		self, err := Executable()
		if err != nil {
			return nil, err
		}
		path = self
	}
	argv0 := spec.Argv0
	if argv0 == "" {
		argv0 = os.Args[0]
	}
	dir := spec.Dir
	if dir == "" {
		dir = defaultDir
	}
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	return &exec.Cmd{
		Path: path,
		Args: append([]string{argv0}, spec.Args...),
		// nil keeps this process's environment, and lets os/exec set PWD to Dir, so the
		// daemon's PWD names its real working directory.
		Env:        spec.Env,
		Dir:        dir,
		Stdin:      files.Stdin,
		Stdout:     files.Stdout,
		Stderr:     files.Stderr,
		ExtraFiles: []*os.File{files.Ready},
	}, nil
}

// checkDir reports, as a chdir error, why dir cannot be a working directory. "" is fine:
// it means the caller's own.
func checkDir(dir string) error {
	if dir == "" {
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return &fs.PathError{Op: "chdir", Path: dir, Err: pe.Err}
		}
		return fmt.Errorf("chdir %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return &fs.PathError{Op: "chdir", Path: dir, Err: syscall.ENOTDIR}
	}
	return nil
}
