package cli

import (
	"bufio"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
)

// defaultName is Config.Name's default: the base name of os.Args[0], the binary's file
// name, which go build and go run . make the last element of the main package's import
// path and go build -o NAME makes NAME; but for go run's build of files (go run main.go,
// whose binary go names after its first file, main), the name go build gives the
// package's binary (packageName), so that an instance started so is found by the binary
// go build makes. A binary built of files to keep (go build -o NAME main.go) keeps its
// file name, which neither its source nor its go.mod, maybe gone, decides. It is found
// once, but for a go run build asked before its main package's initialisation or main.main
// runs (another package's variables): that answer, os.Args[0]'s, is not kept.
func defaultName() string {
	defaultNameMu.Lock()
	defer defaultNameMu.Unlock()
	if defaultNameFound == "" {
		name, final := findDefaultName()
		if !final {
			return name
		}
		defaultNameFound = name
	}
	return defaultNameFound
}

var (
	defaultNameMu    sync.Mutex
	defaultNameFound string
)

// findDefaultName is defaultName's answer, and whether it is final: not when a go run
// build's main package has not started (mainStarted).
func findDefaultName() (name string, final bool) {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Path == "command-line-arguments" && goRunBuild(currentExecutable()) {
		if name := packageName(filesPackagePath()); name != "" {
			return name, true
		}
		return filepath.Base(os.Args[0]), mainStarted()
	}
	return filepath.Base(os.Args[0]), true
}

// mainStarted reports whether the main package has started: its initialisation or
// main.main is on this goroutine's stack, or main.main on any goroutine's. Before, as
// another package's variables are set, nothing tells its directory.
func mainStarted() bool {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(1, pcs)])
	for {
		f, more := frames.Next()
		if isMainPackageEntry(f.Function) {
			return true
		}
		if !more {
			break
		}
	}
	return mainFileOnAnyStack() != ""
}

// filesPackagePath is the import path go build gives the main package of a build of
// files (go run main.go): its module's path (the go.mod in or above its directory) and
// the directory's path below the module's. It finds the directory as the file of the main
// package's main.main, or of its initialisation (main.init: the package's variables, a
// Config made there), on this goroutine's stack, else on any goroutine's (a program that
// runs the commands on one of its own): "" if none is there, or its file is not absolute
// (-trimpath), or no go.mod names a module.
func filesPackagePath() string {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(1, pcs)])
	for {
		f, more := frames.Next()
		if isMainPackageEntry(f.Function) && filepath.IsAbs(f.File) {
			return importPathOf(filepath.Dir(f.File))
		}
		if !more {
			break
		}
	}
	if file := mainFileOnAnyStack(); filepath.IsAbs(file) {
		return importPathOf(filepath.Dir(file))
	}
	return ""
}

// isMainPackageEntry says whether function, as a stack frame names it, is the main
// package's main.main or its initialisation (main.init, main.init.0, ...).
func isMainPackageEntry(function string) bool {
	return function == "main.main" || function == "main.init" || strings.HasPrefix(function, "main.init.")
}

// mainFileOnAnyStack is the file of main.main's frame on the stacks of every goroutine
// (runtime.Stack's text: "main.main()" then a tab and "FILE:LINE +0x.."), "" if none
// holds it. Each dump stops the world and formats every goroutine: the main goroutine's
// comes right after this one's, so the first 64 KiB hold it but for a stack deeper than
// that, and only then is a larger dump taken (up to 64 MiB).
func mainFileOnAnyStack() string {
	for size := 64 << 10; ; size *= 2 {
		if testHookStackDump != nil {
			testHookStackDump()
		}
		buf := make([]byte, size)
		n := runtime.Stack(buf, true)
		text := string(buf[:n])
		if n == size { // cut short: its last line may be part of one
			text = text[:max(strings.LastIndexByte(text, '\n'), 0)]
		}
		if file := mainFileIn(text); file != "" || n < size || size >= 64<<20 {
			return file
		}
	}
}

// mainFileIn is the file of main.main's frame in stacks, runtime.Stack's text; "" if it
// holds none.
func mainFileIn(stacks string) string {
	lines := strings.Split(stacks, "\n")
	for i := 0; i+1 < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "main.main(") || !strings.HasPrefix(lines[i+1], "\t") {
			continue
		}
		at := strings.TrimPrefix(lines[i+1], "\t")
		if k := strings.LastIndex(at, " +0x"); k >= 0 {
			at = at[:k]
		}
		if colon := strings.LastIndexByte(at, ':'); colon >= 0 {
			return at[:colon]
		}
	}
	return ""
}

// importPathOf is the import path of the package in dir, from the go.mod in or above it.
func importPathOf(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if mod := modulePath(filepath.Join(d, "go.mod")); mod != "" {
			rel, err := filepath.Rel(d, dir)
			if err != nil {
				return ""
			}
			return path.Join(mod, filepath.ToSlash(rel))
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// modulePath is the path of the module directive of the go.mod file at file, "" if
// there is none.
func modulePath(file string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		line, _, _ := strings.Cut(lines.Text(), "//")
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module")
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t' && rest[0] != '"') {
			continue
		}
		rest = strings.TrimSpace(rest)
		if unquoted, err := strconv.Unquote(rest); err == nil {
			rest = unquoted
		}
		return rest
	}
	return ""
}

// packageName is the name go build gives the binary of the package at importPath: its
// last element, or the one before a major version suffix (/v2). "" for none.
func packageName(importPath string) string {
	if importPath == "" {
		return ""
	}
	elem := path.Base(importPath)
	if dir := path.Dir(importPath); dir != "." && isMajorVersion(elem) {
		elem = path.Base(dir)
	}
	if elem == "." || elem == "/" {
		return ""
	}
	return elem
}

// isMajorVersion says whether elem is a module path's major version suffix: v2, v3, ...
func isMajorVersion(elem string) bool {
	n, ok := strings.CutPrefix(elem, "v")
	if !ok || n == "" || n[0] == '0' {
		return false
	}
	_, err := strconv.ParseUint(n, 10, 32)
	return err == nil
}

// testHookStackDump, if set, is called before each dump of every goroutine's stack.
var testHookStackDump func()
