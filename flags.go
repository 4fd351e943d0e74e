package main

import (
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/daemonkit/daemonkit/instance"
)

// InstanceFlags name the instance a command acts on.
type InstanceFlags struct {
	Name    string `short:"n" placeholder:"NAME" help:"Instance name (default \"server\"): letters, digits, '.', '_', '-'; at most 64, no leading dot."`
	PIDFile string `name:"pidfile" placeholder:"PATH" help:"Pidfile path (default <state-dir>/<name>.pid)."`
}

// Validate rejects a bad name at parse time, so it is a usage error.
func (f *InstanceFlags) Validate() error {
	if f.Name == "" {
		return nil
	}
	return instance.ValidateName(f.Name)
}

// paths resolves the instance's files against the state directory; create says whether
// the default state directory may be created (commands that only look must not).
func (f *InstanceFlags) paths(app *App, logFile string, create bool) (instance.Paths, error) {
	dir, err := app.stateDir(create)
	if err != nil {
		return instance.Paths{}, err
	}
	paths, err := instance.Resolve(dir, f.Name, f.PIDFile, logFile)
	if err == nil && logFile == "" && app.Globals.LogDir != "" {
		paths.Log, err = filepath.Abs(filepath.Join(app.Globals.LogDir, paths.Name+".log"))
	}
	return paths, err
}

// stateDir is --state-dir, or the default one, created if missing and create is set.
func (app *App) stateDir(create bool) (string, error) {
	if app.Globals.StateDir != "" {
		return app.Globals.StateDir, nil
	}
	dir, private, err := instance.DefaultStateDir()
	if err != nil {
		return "", fmt.Errorf("find state directory: %w", err)
	}
	if !create {
		return dir, nil
	}
	if err := instance.EnsureStateDir(dir, private); err != nil {
		return "", fmt.Errorf("state directory: %w", err)
	}
	return dir, nil
}

// umask is a file-mode creation mask given in octal, like the shell's umask.
type umask int

// UnmarshalText parses "022" or "0022"; anything else is a usage error.
func (u *umask) UnmarshalText(text []byte) error {
	v, err := strconv.ParseUint(string(text), 8, 32)
	if err != nil || v > 0o777 {
		return fmt.Errorf("umask %q: want an octal mode from 000 to 777", text)
	}
	*u = umask(v)
	return nil
}

// String formats it as start's --umask takes it.
func (u umask) String() string { return fmt.Sprintf("%03o", int(u)) }
