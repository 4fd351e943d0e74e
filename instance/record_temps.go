package instance

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// A record is written into a temporary file beside it, then renamed over it. A writer
// that holds the record's lock (every writer of this build, but for one that gave up
// waiting for it: see lockRecord) writes into the record's one temporary file,
// .NAME.json.tmp, which only such a holder ever touches: it first removes whatever is
// there (what a writer killed between the two, by SIGKILL or a power loss, left) and
// makes it anew, so that a killed writer's file is gone at the next write, which reads
// no directory for it. A writer without the lock, and an older build, write into a file
// of a name of their own instead, .NAME.json.tmp-DIGITS, which nothing else would ever
// remove: a run's end (markStopped: a stop, or the daemon's own) and delete remove those
// (removeStaleTemps), holding the lock, and only those older than staleTempAge, so that a
// writer without the lock does not lose its file before its rename.

// staleTempAge is how long since its last change a record's temporary file must be left
// before it is taken for a dead writer's: a live writer's lives for a write and a sync.
var staleTempAge = time.Minute

// recordTempPath is the record at path's one temporary file, which holders of its lock
// write it through.
func recordTempPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
}

// newRecordTemp makes a temporary file for a new record at path, in its directory, mode
// 0600. locked says the caller holds the record's lock: it then makes the record's one
// temporary file (recordTempPath), replacing what is there: another holder's file is
// never there, since the lock is held, and what is, is a killed writer's. It never opens
// what it finds there (a symlink, or a hard link to a record another name took). Without
// the lock, or where that file cannot be made, it makes one of a random name.
func newRecordTemp(path string, locked bool) (*os.File, error) {
	if locked {
		tmp := recordTempPath(path)
		if err := os.Remove(tmp); err == nil || errors.Is(err, fs.ErrNotExist) {
			f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
			if err == nil {
				return f, nil
			}
		}
	}
	return os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
}

// recordTempPrefix is what the temporary files of a name of their own of the record at
// path begin with; what follows is os.CreateTemp's random digits.
func recordTempPrefix(path string) string {
	return "." + filepath.Base(path) + ".tmp-"
}

// isRecordTemp reports whether base, a file name, is one of the temporary files of the
// record at path, and not another's: .web.json.tmp-123 is web's, and
// .web.json.tmp-1.json.tmp-123 is the instance web.json.tmp-1's.
func isRecordTemp(path, base string) bool {
	digits, ok := strings.CutPrefix(base, recordTempPrefix(path))
	if !ok || digits == "" {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// removeStaleTemps removes the temporary files of the record at path that a writer killed
// before its rename left (see above): the record's one temporary file, a regular file of
// this user's, and those of a name of their own that are also unchanged for staleTempAge.
// The caller holds the record's lock. It is best effort: what it cannot read or remove
// stays, and the write it precedes goes on. It reads the directory's names alone,
// unsorted, and looks further only at those of the record's temporary files: in a state
// directory of a thousand instances that costs about 1.8 ms here, which is why a run's
// end and delete pay it, and no other write.
func removeStaleTemps(path string) {
	if fi, err := os.Lstat(recordTempPath(path)); err == nil && fi.Mode().IsRegular() && ownFile(fi) {
		_ = os.Remove(recordTempPath(path))
	}
	dir := filepath.Dir(path)
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	names, _ := d.Readdirnames(-1)
	_ = d.Close()
	for _, name := range names {
		if !isRecordTemp(path, name) {
			continue
		}
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil || !fi.Mode().IsRegular() || !ownStale(fi) {
			continue
		}
		_ = os.Remove(filepath.Join(dir, name))
	}
}

// ownStale reports whether fi is a file of the effective user's, unchanged for
// staleTempAge.
func ownStale(fi os.FileInfo) bool {
	return ownFile(fi) && time.Since(fi.ModTime()) >= staleTempAge
}

// RemoveRecordTemps removes, holding the record's lock, what writers of the record at path
// killed mid-write left (removeStaleTemps), for delete, which forgets the instance.
func RemoveRecordTemps(path string) {
	unlock, locked := lockRecordHeld(path)
	defer unlock()
	if locked {
		removeStaleTemps(path)
	}
}
