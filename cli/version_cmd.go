package cli

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/alecthomas/kong"
)

// VersionCmd prints the program's version and what it was built from.
type VersionCmd struct{}

// Run prints "NAME VERSION", then the module, its version, the Go version and the VCS
// revision the binary records, and the daemonkit modules it was built with (and what a
// replace directive put in their place).
func (c *VersionCmd) Run(app *App) error {
	fmt.Fprintf(app.Stdout, "%s %s\n", app.Config.Name, app.Config.Version)
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	fmt.Fprintf(app.Stdout, "module  %s %s\n", info.Main.Path, info.Main.Version)
	fmt.Fprintf(app.Stdout, "go      %s\n", strings.TrimPrefix(info.GoVersion, "go"))
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision", "vcs.time", "vcs.modified", "GOOS", "GOARCH":
			fmt.Fprintf(app.Stdout, "%-7s %s\n", strings.TrimPrefix(s.Key, "vcs."), s.Value)
		}
	}
	for _, d := range info.Deps {
		if strings.HasPrefix(d.Path, "github.com/daemonkit/") {
			fmt.Fprintf(app.Stdout, "dep     %s %s\n", d.Path, depVersion(d))
		}
	}
	return nil
}

// depVersion is d's version as go version -m shows it, followed by "=> PATH [VERSION]" when
// a replace directive put a local directory or another module in its place, so that a
// build from a checkout or a fork does not pass for the version go.mod names.
func depVersion(d *debug.Module) string {
	if d.Replace == nil {
		return d.Version
	}
	return strings.TrimSpace(d.Version + " => " + d.Replace.Path + " " + d.Replace.Version)
}

// buildOf is the build of cfg's program that this binary is, as a record keeps it
// (instance.Record.Build): cfg.Version, or, for a build without a release version ("dev"),
// "dev" with what the binary records of its source: the VCS revision (its first 12 hex
// digits) and ", modified" if the tree had changes, "dev (revision 38f773c0a1b2,
// modified)"; else the module's version if go install gave it one, "dev (module
// v1.2.0)"; else "dev" alone (go build -buildvcs=false). It reads the build information,
// so it is called where a record is made or compared, never at start-up.
func buildOf(cfg Config) string {
	if cfg.Version != devVersion {
		return cfg.Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return cfg.Version
	}
	return buildFrom(cfg.Version, info)
}

// buildFrom is buildOf for a build without a release version, version ("dev"), whose
// build information is info.
func buildFrom(version string, info *debug.BuildInfo) string {
	var revision, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value[:min(len(s.Value), 12)]
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	switch {
	case revision != "":
		return fmt.Sprintf("%s (revision %s%s)", version, revision, modified)
	case info.Main.Version != "" && info.Main.Version != "(devel)":
		return fmt.Sprintf("%s (module %s)", version, info.Main.Version)
	}
	return version
}

// ManCmd prints the man page, made from the grammar (docs/daemonkit.1 is its output).
type ManCmd struct{}

// Run prints it in roff.
func (c *ManCmd) Run(app *App, kctx *kong.Context) error {
	return writeMan(app.Stdout, kctx.Model, app.Config)
}
