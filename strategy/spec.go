package strategy

import (
	"errors"
	"fmt"
	"path/filepath"
)

// ErrBadSpec is wrapped by Spec.Validate's errors: a Spec that launcher.Launch refuses
// before it starts anything.
var ErrBadSpec = errors.New("bad spec")

// Validate reports what makes spec unfit to launch: no Name; a path (Path, Dir, LogPath,
// PIDFile) given but not absolute, which the daemon, in another working directory, would
// read as another file; or neither Args nor Env for this binary, which would run the
// caller's own main again, as it was run, and it would launch again, without end (a
// daemon told what it is by its environment alone is fine). Its errors wrap ErrBadSpec
// and name the field.
func (spec Spec) Validate() error {
	if spec.Name == "" {
		return fmt.Errorf("%w: no Name (the instance's name, which every message gives)", ErrBadSpec)
	}
	for _, p := range []struct{ field, path string }{
		{"Path", spec.Path}, {"Dir", spec.Dir}, {"LogPath", spec.LogPath}, {"PIDFile", spec.PIDFile},
	} {
		if p.path != "" && !filepath.IsAbs(p.path) {
			return fmt.Errorf("%w: %s %q is not absolute (the daemon may run in another directory)", ErrBadSpec, p.field, p.path)
		}
	}
	if spec.Path == "" && len(spec.Args) == 0 && spec.Env == nil {
		return fmt.Errorf("%w: no Args nor Env for this binary: the daemon would run the caller's main again, as it was run, and launch again (give the arguments, or environment, that make it the daemon)", ErrBadSpec)
	}
	return nil
}
