package cli

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// foundRelative refuses a bare program name (no slash) that PATH, the work's, finds first
// through a relative directory ("bin", "." or an empty entry), as the shell start is typed
// in finds it, against cwd, where the work would not run that file: it looks the name up
// as the work's exec does, from workdir, the directory the work runs in (/ unless
// --workdir, nohup's the caller's). Go's exec runs no program it finds relative to its
// directory ("cannot run executable found relative to current directory"), so where the
// relative entry finds one from workdir, the start would fail once its daemon runs; where
// it finds none there, the exec goes on down PATH, and runs another program of that name,
// or says the name is not in $PATH, while the shell finds it there. Only where the exec
// goes on to the very file the shell found (PATH=bin:/app/bin typed in /app) is the start
// let through. A name PATH finds first through an absolute directory, or not at all, is no
// concern of this check.
func foundRelative(command []string, pathList, cwd, workdir string) error {
	if len(command) == 0 || strings.Contains(command[0], "/") || cwd == "" {
		return nil
	}
	name := command[0]
	dir, shell, ok := lookFrom(name, pathList, cwd)
	if !ok || filepath.IsAbs(dir) {
		return nil
	}
	rel, entry := "./"+filepath.Join(dir, name), fmt.Sprintf("its relative directory %q", dir)
	if dir == "" {
		entry = "an empty entry (the current directory)"
	}
	fix := fmt.Sprintf("give its path, %s, or an absolute directory in PATH", rel)
	workDir, work, found := lookFrom(name, pathList, workdir)
	switch {
	case found && !filepath.IsAbs(workDir) && filepath.Clean(workdir) == filepath.Clean(cwd):
		return fmt.Errorf("program %q: PATH finds it here as %s, through %s, which the work's exec never takes (the work runs here too, and Go runs no program found relative to its directory): %s",
			name, rel, entry, fix)
	case found && !filepath.IsAbs(workDir):
		return fmt.Errorf("program %q: PATH finds it here as %s, through %s, which the work's exec never takes (where the work runs, %s, it names another directory, and Go runs no program found relative to it): %s",
			name, rel, entry, workdir, fix)
	case found && samePath(work, shell):
		return nil // the work's exec passes the relative entry by, and finds this file
	case found:
		return fmt.Errorf("program %q: PATH finds it here as %s, through %s, which the work's exec never takes (where the work runs, %s, it names another directory): the work would run %s instead: %s",
			name, rel, entry, workdir, work, fix)
	}
	return fmt.Errorf("program %q: PATH finds it here as %s, through %s, which the work's exec never takes (where the work runs, %s, it names another directory, and no other entry of PATH has it): %s",
		name, rel, entry, workdir, fix)
}

// lookFrom finds name in pathList as a lookup from directory from does: the entry (dir)
// that has it first as an executable file, and that file, relative entries taken from
// from; false if none has it.
func lookFrom(name, pathList, from string) (dir, file string, ok bool) {
	for _, dir := range filepath.SplitList(pathList) {
		at := filepath.Join(dir, name)
		if !filepath.IsAbs(dir) {
			at = filepath.Join(from, dir, name)
		}
		if executable(at) != nil {
			continue
		}
		return dir, at, true
	}
	return "", "", false
}

// samePath reports whether paths a and b name one file (os.SameFile).
func samePath(a, b string) bool {
	fi, err := os.Stat(a)
	return err == nil && sameFile(fi, b)
}

// notFoundRelative is foundRelative for this start's command, PATH as env (the work's
// environment) has it, from the directory start is typed in to the one the work runs in:
// --workdir, else, with -d, the strategy's (defaultDir), else the current one.
func (c *StartCmd) notFoundRelative(env []string, defaultDir string) error {
	cwd, err := os.Getwd()
	if err != nil {
		return nil
	}
	workdir := c.Workdir
	if workdir == "" && c.Detach {
		workdir = defaultDir
	}
	if workdir, err = filepath.Abs(cmp.Or(workdir, cwd)); err != nil {
		return nil
	}
	path, _ := envLookup(env, "PATH")
	return foundRelative(c.Command, path, cwd, workdir)
}
