package cli

import (
	"os"
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
