// Package sysbin finds the system's own programs (getent, cat) for a process that may be
// root while its environment is one another user chose: a supervisor's is its program's,
// whose env file the --user may write. As root, a program is taken from the system's
// directories only, never through PATH; as another user, through PATH, as any command that
// user types.
package sysbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Dirs are the system's directories, searched in order for root: the FHS ones, then the
// system profiles of NixOS and Guix, which have none of those programs there.
var Dirs = []string{"/usr/bin", "/bin", "/usr/sbin", "/sbin", "/run/current-system/sw/bin", "/run/current-system/profile/bin"}

// Find returns the path of the program name: for root, the first executable name in Dirs;
// for another user, exec.LookPath's. Its error wraps exec.ErrNotFound when there is none.
func Find(name string) (string, error) {
	if os.Geteuid() != 0 {
		return exec.LookPath(name)
	}
	for _, dir := range Dirs {
		if path, err := exec.LookPath(filepath.Join(dir, name)); err == nil {
			return path, nil
		}
	}
	return "", &exec.Error{Name: name, Err: fmt.Errorf("%w in %s (as root, PATH is not searched)", exec.ErrNotFound, strings.Join(Dirs, ":"))}
}
