package cli

import (
	"os"
	"strconv"
	"strings"
)

// replacedBinary says whether the binary that process pid runs was replaced or removed
// since it started, as /proc/PID/exe tells it (the path it was run from, and " (deleted)"
// once that file is unlinked: a go build or a package upgrade renames a new file over it,
// go run removes its own), and that path. Elsewhere, or for a process this user may not
// look into, it says false.
func replacedBinary(pid int) (path string, replaced bool) {
	if pid <= 0 {
		return "", false
	}
	link, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	if err != nil {
		return "", false
	}
	path, replaced = strings.CutSuffix(link, " (deleted)")
	return path, replaced
}
