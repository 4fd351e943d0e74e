package instance

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// The claims that RunsElsewhere looks for are few: those of an instance whose pidfile is
// not its name's in the state directory (--pidfile run/web.pid, typed in another
// directory). So that status and stop of a name that is not running need not read every
// claim of the directory to find none, each claim written for such an instance leaves
// beside it an empty marker named by the instance, .log-elsewhere-<name>, and a
// directory where every claim has its marker says so once (claimsIndexed, written by the
// first claim after a daemonkit that kept no markers: indexClaims). There, a name without
// a marker has no such claim, which costs one lstat to tell; a name with one has its
// claims read as before. The claim files themselves are as they were: an older daemonkit
// reads and writes them alike, and a claim it writes for an instance elsewhere after the
// directory was indexed, with no marker, is not seen (its status gives no note, as that
// daemonkit's own would not) until a start of that instance by this one, which marks its
// claim even when the claim is as it was (ClaimLog).

// claimsIndexed is the file, in a state directory, that says that every claim there of
// an instance whose pidfile is elsewhere has its marker (elsewhereMarker).
const claimsIndexed = ".log-claims-indexed"

// elsewhereMarker is the marker, in stateDir, of the claims of instance name whose
// pidfile is elsewhere.
func elsewhereMarker(stateDir, name string) string {
	return filepath.Join(stateDir, ".log-elsewhere-"+name)
}

// pidfileElsewhere reports whether c names an instance whose pidfile is not its name's in
// stateDir: one that RunsElsewhere may find. A relative stateDir (--state-dir st) is the
// directory its absolute path names, as a claim's pidfile always is.
func pidfileElsewhere(stateDir string, c claimed) bool {
	if abs, err := filepath.Abs(stateDir); err == nil {
		stateDir = abs
	}
	return c.Name != "" && c.PIDFile != filepath.Join(stateDir, c.Name+".pid")
}

// markClaim leaves the marker of the claim c, written in stateDir, when its instance's
// pidfile is elsewhere, and returns it open with a shared flock, to be given up with
// unix.Close once the claim is written; -1 when there is none to hold. While it is held,
// delete (unmarkName), which removes a marker only with its exclusive lock and only when
// no claim names it, does not remove it: a start that marked and has not yet written its
// claim is not left with a claim without its marker. A marker removed between its open
// and its lock is given up, and the one at the path made and locked anew.
func markClaim(stateDir string, c claimed) int {
	if !pidfileElsewhere(stateDir, c) || ValidateName(c.Name) != nil {
		return -1
	}
	path := elsewhereMarker(stateDir, c.Name)
	for range maxRecordLockOpens {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return -1
		}
		if testHookMarkOpened != nil {
			testHookMarkOpened()
		}
		if !flockShared(fd) {
			_ = unix.Close(fd) // made, but not held: see flockShared
			return -1
		}
		if isFileAt(fd, path) {
			return fd
		}
		_ = unix.Close(fd)
	}
	return -1
}

// flockShared takes fd's shared flock, waiting for an exclusive holder (a delete, for as
// long as it reads the claims) up to markWait; false if it could not. A delete stopped
// while it holds the lock (Ctrl-Z, a debugger) then holds up a start for markWait, not
// for as long as it stays stopped: the marker is left unheld, and a delete that goes on
// may remove it under the claim, which status then misses until that instance starts again.
func flockShared(fd int) bool {
	end := time.Now().Add(markWait)
	for {
		err := unix.Flock(fd, unix.LOCK_SH|unix.LOCK_NB)
		switch {
		case err == nil:
			return true
		case !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR):
			return false
		case time.Now().After(end):
			return false
		}
		time.Sleep(claimPoll) // a polling step: a release wakes nobody
	}
}

// markWait bounds how long a start waits for a delete's hold on a marker: a delete holds
// it while it reads the claims, milliseconds.
const markWait = 2 * time.Second

// releaseMarker gives up a marker markClaim returned.
func releaseMarker(fd int) {
	if fd >= 0 {
		_ = unix.Close(fd)
	}
}

// unmarkName removes the marker of name in stateDir, for a delete of an instance of that
// name, when no claim there names an instance of name whose pidfile is elsewhere: else
// markers would pile up, one per name ever started so. It holds the marker's exclusive
// flock, not waited for, from before it reads the claims until the marker is removed
// (removeLocked), so that a start that marks it meanwhile (markClaim, which holds its
// shared flock until its claim is written) either keeps it, or waits, finds it gone, and
// makes it anew.
func unmarkName(stateDir, name string) {
	if ValidateName(name) != nil {
		return
	}
	removeLocked(elsewhereMarker(stateDir, name), func(int) bool {
		if testHookUnmarking != nil {
			testHookUnmarking()
		}
		return !claimNamesElsewhere(stateDir, name)
	})
}

// claimNamesElsewhere reports whether a claim in stateDir names an instance called name
// whose pidfile is elsewhere, running or not.
func claimNamesElsewhere(stateDir, name string) bool {
	files, _ := filepath.Glob(claimFile(stateDir, "*"))
	quoted := []byte(strconv.Quote(name))
	buf := make([]byte, 16<<10)
	for _, f := range files {
		b, ok := readSmall(f, buf)
		if !ok {
			continue
		}
		if !bytes.Contains(b, quoted) {
			continue
		}
		if c, ok := decodeClaim(b); ok && c.Name == name && pidfileElsewhere(stateDir, c) {
			return true
		}
	}
	return false
}

// testHookMarkOpened, when set by a test, runs when markClaim has opened the marker, before
// it locks it; testHookUnmarking when unmarkName, holding the marker's lock, is about to
// read the claims.
var testHookMarkOpened, testHookUnmarking func()

// indexClaims gives, once for the state directory dir, every claim there of an instance
// whose pidfile is elsewhere its marker, then leaves claimsIndexed: claims written by a
// daemonkit that kept no markers. Only what this user may write is indexed, as
// migrateClaims does.
func indexClaims(dir string) {
	marker := filepath.Join(dir, claimsIndexed)
	if _, err := os.Lstat(marker); err == nil {
		return
	}
	if unix.Faccessat(unix.AT_FDCWD, dir, unix.W_OK, unix.AT_EACCESS) != nil {
		return
	}
	files, _ := filepath.Glob(claimFile(dir, "*"))
	buf := make([]byte, 16<<10)
	for _, f := range files {
		if b, ok := readSmall(f, buf); ok {
			if c, ok := decodeClaim(b); ok {
				releaseMarker(markClaim(dir, c)) // the claim is there already
			}
		}
	}
	touch(marker)
}

// mayRunElsewhere reports whether a claim in stateDir may name an instance called name
// whose pidfile is elsewhere: false only in a directory indexed (claimsIndexed) where name
// has no marker.
func mayRunElsewhere(stateDir, name string) bool {
	if _, err := os.Lstat(filepath.Join(stateDir, claimsIndexed)); err != nil {
		return true
	}
	_, err := os.Lstat(elsewhereMarker(stateDir, name))
	return err == nil
}

// touch makes an empty file at path, mode 0600, unless one is there.
func touch(path string) {
	if fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600); err == nil {
		_ = unix.Close(fd)
	}
}
