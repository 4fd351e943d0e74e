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
// revision the binary records.
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
			fmt.Fprintf(app.Stdout, "dep     %s %s\n", d.Path, d.Version)
		}
	}
	return nil
}

// ManCmd prints the man page, made from the grammar (docs/daemonkit.1 is its output).
type ManCmd struct{}

// Run prints it in roff.
func (c *ManCmd) Run(app *App, kctx *kong.Context) error {
	return writeMan(app.Stdout, kctx.Model, app.Config)
}
