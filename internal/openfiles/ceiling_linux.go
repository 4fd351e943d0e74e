package openfiles

import (
	"os"
	"strconv"
	"strings"
)

// nrOpenPath is where Linux says fs.nr_open (a variable for the tests).
var nrOpenPath = "/proc/sys/fs/nr_open"

// Ceiling is the highest open-files limit any process may have here, root too, and
// whether it is known: on Linux, fs.nr_open (setrlimit refuses a hard limit above it with
// EPERM, as it refuses an unprivileged raise, so the error cannot tell the two apart).
func Ceiling() (uint64, bool) {
	b, err := os.ReadFile(nrOpenPath)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return n, err == nil
}
