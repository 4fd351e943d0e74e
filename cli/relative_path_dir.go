package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// foundRelative refuses a bare program name (no slash) that PATH, the work's, finds first
// through a relative directory ("bin", "." or an empty entry), as the shell start is typed
// in finds it, against cwd. The work never runs it so: from its own directory (/ unless
// --workdir) the entry names another directory, and Go's exec refuses a program found
// relative to the working directory anyway ("cannot run executable found relative to
// current directory"); so start -d would fail once its daemon runs, saying that the name
// is not in $PATH while the shell finds it there, or run another program of that name.
// A name PATH finds first through an absolute directory, or not at all, is no concern of
// this check.
func foundRelative(command []string, pathList, cwd string) error {
	if len(command) == 0 || strings.Contains(command[0], "/") || cwd == "" {
		return nil
	}
	name := command[0]
	for _, dir := range filepath.SplitList(pathList) {
		at := filepath.Join(dir, name)
		if !filepath.IsAbs(dir) {
			at = filepath.Join(cwd, dir, name)
		}
		fi, err := os.Stat(at)
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			continue
		}
		if filepath.IsAbs(dir) {
			return nil
		}
		rel, entry := "./"+filepath.Join(dir, name), fmt.Sprintf("its relative directory %q", dir)
		if dir == "" {
			entry = "an empty entry (the current directory)"
		}
		return fmt.Errorf("program %q: PATH finds it here as %s, through %s, which the work's exec never takes (where the work runs it names another directory, and Go runs no program found relative to it): give its path, %s, or an absolute directory in PATH",
			name, rel, entry, rel)
	}
	return nil
}
