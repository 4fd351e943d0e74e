package instance

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Elsewhere is an instance that runs with another pidfile than the one its name gives in
// the state directory (RunsElsewhere): its paths and its daemon's pid.
type Elsewhere struct {
	Paths Paths
	PID   int
}

// RunsElsewhere is every instance named name that runs, ready, with another pidfile than
// pidfile, as the claims of their logs in stateDir name them: a start of --name web
// --pidfile run/web.pid, typed in another directory, whose name alone (status web, stop
// web) finds nothing in the state directory, and whose log's claim the start left there;
// two such, typed in two directories, are both. It returns them in the order of their
// pidfiles, or none. A claim is only read here, without its lock: a claim half written by a
// start under way reads as none, and so does one whose instance has stopped, or runs now
// with another log. Only a claim whose bytes hold the name is decoded, and only one that
// names it is inspected: a name no claim has costs one read of each.
func RunsElsewhere(stateDir, name, pidfile string) []Elsewhere {
	if !mayRunElsewhere(stateDir, name) {
		return nil // no claim names one: see indexClaims
	}
	files, _ := filepath.Glob(claimFile(stateDir, "*"))
	slices.Sort(files)
	quoted := []byte(strconv.Quote(name)) // a valid name needs no JSON escape
	var found []Elsewhere
	buf := make([]byte, 16<<10)
	for _, f := range files {
		if testHookClaimRead != nil {
			testHookClaimRead()
		}
		b, ok := readSmall(f, buf)
		if !ok || !bytes.Contains(b, quoted) {
			continue
		}
		c, ok := decodeClaim(b)
		if !ok || c.Name != name || slices.ContainsFunc(found, func(e Elsewhere) bool { return e.Paths.PIDFile == c.PIDFile }) {
			continue
		}
		if w := writerOf(c, Paths{PIDFile: pidfile, Log: c.Log}); w != nil {
			found = append(found, Elsewhere{Paths: w.Paths, PID: w.PID})
		}
	}
	slices.SortFunc(found, func(a, b Elsewhere) int { return strings.Compare(a.Paths.PIDFile, b.Paths.PIDFile) })
	return found
}

// readSmall reads the file at path into buf, with no more than its open, one read and its
// close; false if it cannot be read, or does not fit in buf.
func readSmall(path string, buf []byte) ([]byte, bool) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, false
	}
	defer unix.Close(fd)
	n, err := unix.Read(fd, buf)
	if err != nil || n <= 0 || n == len(buf) {
		return nil, false
	}
	return buf[:n], true
}

// decodeClaim is the claim whose file holds b; false if b is not one.
func decodeClaim(b []byte) (claimed, bool) {
	var c claimed
	return c, json.Unmarshal(b, &c) == nil
}

// testHookClaimRead, when set by a test, runs as RunsElsewhere reads each claim.
var testHookClaimRead func()
