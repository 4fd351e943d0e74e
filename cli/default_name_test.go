package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPackageName: the default name is what go build names the binary: the last element
// of the main package's path, less a major version suffix.
func TestPackageName(t *testing.T) {
	for path, want := range map[string]string{
		"example.com/app":              "app",
		"example.com/app/v2":           "app",
		"example.com/app/v2/cmd/srv":   "srv",
		"example.com/app/v0":           "v0",
		"example.com/app/v02":          "v02",
		"example.com/app/version":      "version",
		"app":                          "app",
		"v2":                           "v2",
		"":                             "",
		"github.com/daemonkit/example": "example",
	} {
		if got := packageName(path); got != want {
			t.Errorf("packageName(%q) = %q, want %q", path, got, want)
		}
	}
}

// TestImportPathOf: the import path of a directory of files (go run main.go) is made as
// go makes it, from the go.mod in or above it.
func TestImportPathOf(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "cmd", "srv"), 0o755); err != nil {
		t.Fatal(err)
	}
	gomod := "// the tool\nmodule \"example.com/tool/v2\" // quoted\n\ngo 1.26\n"
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[string]string{
		root:                              "example.com/tool/v2",
		filepath.Join(root, "cmd", "srv"): "example.com/tool/v2/cmd/srv",
	} {
		if got := importPathOf(dir); got != want {
			t.Errorf("importPathOf(%s) = %q, want %q", dir, got, want)
		}
	}
}
