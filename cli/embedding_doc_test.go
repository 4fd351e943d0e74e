package cli

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEmbeddingDocCompiles: every Go snippet of docs/embedding.md builds as written, each
// as a package of its own in a scratch module that uses this module, and is gofmt'd.
func TestEmbeddingDocCompiles(t *testing.T) {
	goTool, root, doc := embeddingDoc(t, "builds programs")
	snippets := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	if len(snippets) < 4 {
		t.Fatalf("found %d Go snippets in docs/embedding.md", len(snippets))
	}
	mod := t.TempDir()
	gomod := fmt.Sprintf("module docsnippets\n\ngo 1.26\n\nrequire github.com/daemonkit/daemonkit v0.0.0\n\nreplace github.com/daemonkit/daemonkit => %s\n", root)
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string][]byte{"go.mod": []byte(gomod), "go.sum": sum} {
		if err := os.WriteFile(filepath.Join(mod, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, m := range snippets {
		dir := filepath.Join(mod, fmt.Sprintf("snippet%d", i+1))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "snippet.go"), []byte(m[1]), 0o644); err != nil {
			t.Fatal(err)
		}
		if formatted, err := format.Source([]byte(m[1])); err == nil && !bytes.Equal(formatted, []byte(m[1])) {
			t.Errorf("snippet %d is not gofmt'd: it would be\n%s", i+1, formatted)
		}
	}
	cmd := exec.Command(goTool, "vet", "./...")
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("go vet of the snippets: %v\n%s", err, out)
	}
}

// TestEmbeddingDocTestPasses: the test docs/embedding.md gives a program ("main_test.go,
// beside the program's main.go"), which says it builds alone, passes alone: run as that
// file of a module of its own, its start and stop of every strategy exits 0.
func TestEmbeddingDocTestPasses(t *testing.T) {
	goTool, root, doc := embeddingDoc(t, "builds and runs a program's test")
	m := regexp.MustCompile("(?s)```go\n(// main_test.go, beside .*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/embedding.md has no snippet that begins // main_test.go, beside ...")
	}
	mod := t.TempDir()
	gomod := fmt.Sprintf("module myserver\n\ngo 1.26\n\nrequire github.com/daemonkit/daemonkit v0.0.0\n\nreplace github.com/daemonkit/daemonkit => %s\n", root)
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string][]byte{"go.mod": []byte(gomod), "go.sum": sum, "main_test.go": m[1]} {
		if err := os.WriteFile(filepath.Join(mod, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(goTool, "test", "-count=1", ".")
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("go test of the snippet: %v\n%s", err, out)
	}
}

// TestEmbeddingDocTestWithoutTestMain: the same test without its TestMain fails its start
// as docs/embedding.md says, quoting the daemon's words that the page quotes.
func TestEmbeddingDocTestWithoutTestMain(t *testing.T) {
	goTool, root, doc := embeddingDoc(t, "builds and runs a program's test")
	m := regexp.MustCompile("(?s)```go\n(// main_test.go, beside .*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/embedding.md has no snippet that begins // main_test.go, beside ...")
	}
	said := regexp.MustCompile("(?s)A test binary without that `TestMain` fails its\\s+start at once: `start -d` exits 1 quoting its daemon, `(.*?)\\.\\.\\.`").FindSubmatch(doc)
	if said == nil {
		t.Fatal("docs/embedding.md no longer says what a test binary without that TestMain quotes")
	}
	quote := strings.Join(strings.Fields(string(said[1])), " ")
	test := strings.Replace(string(m[1]), "func TestMain(", "func withoutTestMain(", 1)
	mod := t.TempDir()
	gomod := fmt.Sprintf("module myserver\n\ngo 1.26\n\nrequire github.com/daemonkit/daemonkit v0.0.0\n\nreplace github.com/daemonkit/daemonkit => %s\n", root)
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string][]byte{"go.mod": []byte(gomod), "go.sum": sum, "main_test.go": []byte(test)} {
		if err := os.WriteFile(filepath.Join(mod, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(goTool, "test", "-count=1", ".")
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("go test of the snippet without its TestMain passed:\n%s", out)
	}
	if !strings.Contains(string(out), "exit 1") || !strings.Contains(string(out), quote) {
		t.Errorf("go test of the snippet without its TestMain does not exit 1 quoting %q, as docs/embedding.md says:\n%s", quote, out)
	}
}

// embeddingDoc is what a test of docs/embedding.md's snippets needs: the go command, this
// module's root and the doc's text. It skips the test, saying why (what it does), under
// -short or without a go command.
func embeddingDoc(t *testing.T, does string) (goTool, root string, doc []byte) {
	t.Helper()
	if testing.Short() {
		t.Skip(does)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	if root, err = filepath.Abs(".."); err != nil {
		t.Fatal(err)
	}
	if doc, err = os.ReadFile(filepath.Join(root, "docs", "embedding.md")); err != nil {
		t.Fatal(err)
	}
	return goTool, root, doc
}

// TestPackageDocWaysIn: the package's doc comment, which go doc shows a user before any
// page, lists the ways in that docs/embedding.md's table lists, each with the calls the
// table gives it (cli.Init for a program that parses before it calls Run, as for Kong), so
// that a user who reads go doc alone does not leave out Init.
func TestPackageDocWaysIn(t *testing.T) {
	_, _, doc := embeddingDoc(t, "reads docs/embedding.md")
	table := regexp.MustCompile("(?s)There are three ways in:\n\n(.*?)\n\n").FindSubmatch(doc)
	if table == nil {
		t.Fatal("docs/embedding.md: no table after \"There are three ways in:\"")
	}
	src, err := os.ReadFile("cli.go")
	if err != nil {
		t.Fatal(err)
	}
	pkgDoc := string(src[:bytes.Index(src, []byte("\npackage cli"))])
	bullets := strings.Split(pkgDoc, "//   - ")[1:]
	for i, b := range bullets {
		bullets[i], _, _ = strings.Cut(b, "\n//\n") // a blank line ends the list
	}
	calls := regexp.MustCompile(`\b(cli|cfg)\.([A-Z]\w*)`)
	rows := strings.Split(string(table[1]), "\n")[2:]
	for _, row := range rows {
		how := strings.Split(row, "|")[2]
		var want []string
		for _, c := range calls.FindAllStringSubmatch(how, -1) {
			name := c[2]
			if c[1] == "cfg" {
				name = "Config." + name
			}
			want = append(want, name)
		}
		found := false
		for _, b := range bullets {
			has := true
			for _, w := range want {
				has = has && regexp.MustCompile(`\b`+regexp.QuoteMeta(w)+`\b`).MatchString(b)
			}
			found = found || has
		}
		if !found {
			t.Errorf("the package doc (cli.go) has no way in that names %s, as docs/embedding.md's table does for:%s", strings.Join(want, ", "), how)
		}
	}
	if len(bullets) != len(rows) {
		t.Errorf("the package doc lists %d ways in, docs/embedding.md %d", len(bullets), len(rows))
	}
}
