package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// replacedBinary says whether the path that process pid's binary was run from was removed
// or replaced since it started, as /proc/PID/exe tells it (that path, and " (deleted)"
// once that file is unlinked: a go build or a package upgrade renames a new file over it,
// go run removes its own), and that path. A daemon that runs this very binary's file
// (started through another hard link of it, since removed) runs this binary: false.
// Elsewhere, or for a process this user may not look into, it says false.
func replacedBinary(pid int) (path string, replaced bool) {
	if pid <= 0 {
		return "", false
	}
	exe := "/proc/" + strconv.Itoa(pid) + "/exe"
	link, err := os.Readlink(exe)
	if err != nil {
		return "", false
	}
	path, replaced = strings.CutSuffix(link, " (deleted)")
	if replaced {
		if samePath(exe, "/proc/self/exe") { // the file itself, unlinked or not, is this one
			return path, false
		}
	}
	return path, replaced
}

// goRunBuild says whether path is a binary go run built: its temporary build, NAME in the
// exe directory of a package's directory (b001) of go's work directory, go-buildNNN, under
// $GOTMPDIR or the temporary directory (/tmp/go-build2358150023/b001/exe/app), which go
// removes when that go run ends; or the copy its build cache keeps of one (since Go 1.24),
// NAME in a directory named for its hash, HASH-d, in one named for the hash's first two
// digits ($GOCACHE/55/554ce05...0fde-d/app), which the cache drops in time.
func goRunBuild(path string) bool {
	dir := filepath.Dir(path)
	parent := filepath.Dir(dir)
	if hash, ok := strings.CutSuffix(filepath.Base(dir), "-d"); ok && len(hash) == 64 && strings.Trim(hash, "0123456789abcdef") == "" {
		return filepath.Base(parent) == hash[:2]
	}
	work := filepath.Base(filepath.Dir(parent))
	return filepath.Base(dir) == "exe" && digitsAfter(filepath.Base(parent), "b") && digitsAfter(work, "go-build")
}

// digitsAfter says whether s is prefix and one or more decimal digits.
func digitsAfter(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	return ok && rest != "" && strings.Trim(rest, "0123456789") == ""
}
