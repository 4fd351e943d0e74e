package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/internal/scripttest"
)

// TestDefaultNameSameUnderGoRun: a program that leaves Config.Name empty has the name go
// build gives its binary under go run main.go too (whose binary go names main), so that
// the instance it starts is found by that binary: the tool of example.com/tool/v2. A
// binary built with go build -o another name keeps that name, as its usage says it.
func TestDefaultNameSameUnderGoRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	mod, state := t.TempDir(), t.TempDir()
	t.Cleanup(func() { scripttest.KillDaemonsUnder(t.Log, state) })
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"go.mod": "module example.com/tool/v2\n\ngo 1.26\n\nrequire github.com/daemonkit/daemonkit v0.0.0\n\nreplace github.com/daemonkit/daemonkit => " + root + "\n",
		"go.sum": string(sum),
		"main.go": `package main

import (
	"context"

	"github.com/daemonkit/daemonkit/cli"
)

func main() {
	cli.Main(cli.Config{Serve: func(ctx context.Context, ready func(string)) error {
		ready("")
		<-ctx.Done()
		return nil
	}})
}
`,
		// The commands run on a goroutine of the program's own, whose stack main.main is not
		// on, and a Config's default taken while the package's variables are set (main.init).
		"spawned/main.go": `package main

import (
	"context"

	"github.com/daemonkit/daemonkit/cli"
)

func main() {
	go cli.Main(cli.Config{Serve: func(context.Context, func(string)) error { return nil }})
	select {}
}
`,
		"atinit/main.go": `package main

import (
	"context"

	"github.com/daemonkit/daemonkit/cli"
)

var _ = cli.Config{}.Exit(nil)

func main() {
	cli.Main(cli.Config{Serve: func(context.Context, func(string)) error { return nil }})
}
`,
		// A package of the program's that takes a Config's default as its variables are set,
		// before main.init and main.main run: the name found later is not the one it got.
		"helperinit/main.go": `package main

import (
	"context"

	_ "example.com/tool/v2/helperinit/helper"
	"github.com/daemonkit/daemonkit/cli"
)

func main() {
	cli.Main(cli.Config{Serve: func(context.Context, func(string)) error { return nil }})
}
`,
		"helperinit/helper/helper.go": `package helper

import "github.com/daemonkit/daemonkit/cli"

var _ = cli.Config{}.Exit(nil)
`,
	}
	for _, dir := range []string{"spawned", "atinit", "helperinit", "helperinit/helper"} {
		if err := os.Mkdir(filepath.Join(mod, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(mod, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	goExec := func(args ...string) *exec.Cmd {
		cmd := exec.Command(goTool, args...)
		cmd.Dir = mod
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod -buildvcs=false", "GOPROXY=off", "GOWORK=off")
		return cmd
	}
	goCmd := func(args ...string) string {
		t.Helper()
		out, err := goExec(args...).CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	goCmd("build", ".")
	goCmd("build", "-o", "renamed", ".")
	goCmd("build", "-o", "files", "main.go")
	out := goCmd("run", "main.go", "start", "-d", "--state-dir", state, "--log-dir", state)
	if !strings.HasPrefix(out, "started tool (pid ") {
		t.Errorf("go run main.go start -d: %q; want it to start tool", out)
	}
	renamed, err := exec.Command(filepath.Join(mod, "renamed"), "stop", "--state-dir", state).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(renamed), "renamed was not running") {
		t.Errorf("renamed stop: %v, %q; want the binary's own name, renamed, which never ran", err, renamed)
	}
	kept, err := exec.Command(filepath.Join(mod, "files"), "stop", "--state-dir", state).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(kept), "files was not running") {
		t.Errorf("files stop: %v, %q; want a binary built of files to keep its own name, files", err, kept)
	}
	for _, dir := range []string{"spawned", "atinit", "helperinit"} {
		// status exits 3: not running
		if out, _ := goExec("run", dir+"/main.go", "status", "--state-dir", state).CombinedOutput(); !strings.HasPrefix(string(out), dir+" is not running") {
			t.Errorf("go run %s/main.go status: %q; want the package's name, %s", dir, out, dir)
		}
	}
	stopped, err := exec.Command(filepath.Join(mod, "tool"), "stop", "--state-dir", state).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(stopped), "stopped tool (pid ") {
		t.Errorf("tool stop: %v, %q; want it to stop what go run started (%q)", err, stopped, out)
	}
}
