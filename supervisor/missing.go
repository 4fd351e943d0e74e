package supervisor

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// MissingProgram is the error that starting the program named name (Config.Command[0])
// fails with when it is surely not there: a path (a name with a slash) that names nothing,
// or a name that no directory of pathList, the PATH it is looked up in, holds. It is nil
// for anything it cannot be sure of (a file there that may not be executable, a relative
// PATH entry, a directory it may not search): the start itself finds that out, and says
// why. A start calls it before it makes anything, so that a typo makes no directory.
func MissingProgram(name, pathList string) error {
	if strings.Contains(name, "/") {
		if _, err := os.Stat(name); absent(err) {
			return &exec.Error{Name: name, Err: err} // as exec.LookPath says it
		}
		return nil
	}
	for _, dir := range filepath.SplitList(pathList) {
		if !filepath.IsAbs(dir) {
			return nil
		}
		if _, err := os.Stat(filepath.Join(dir, name)); !absent(err) {
			return nil
		}
	}
	return explainNoPATH(&exec.Error{Name: name, Err: exec.ErrNotFound}, name, pathList)
}

// absent says whether err, of a stat, proves that nothing is at its path.
func absent(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}
