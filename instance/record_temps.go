package instance

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A record is written into a temporary file beside it, .NAME.json.tmp-DIGITS (see
// writeRecord), then renamed over it. A writer killed between the two (SIGKILL, a power
// loss) leaves that file, which nothing else would ever remove: the next writer of the
// record, and delete, remove it (removeStaleTemps). They hold the record's lock then, so
// no writer of this build is filling one; and they remove only a file older than
// staleTempAge, so that a writer that writes without the lock (one of an older build, or
// one that gave up waiting for it: see lockRecord) does not lose its file before its
// rename.

// staleTempAge is how long since its last change a record's temporary file must be left
// before it is taken for a dead writer's: a live writer's lives for a write and a sync.
var staleTempAge = time.Minute

// recordTempPrefix is what the temporary files of the record at path begin with; what
// follows is os.CreateTemp's random digits.
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
// before its rename left (see above): regular files of this user's, unchanged for
// staleTempAge. The caller holds the record's lock. It is best effort: what it cannot
// read or remove stays, and the write it precedes goes on. It reads the directory's names
// alone, unsorted, and looks further only at those of the record's temporary files: in a
// state directory of a thousand instances that costs a record write about 1.8 ms here,
// against 3 ms for a sorted read of its entries.
func removeStaleTemps(path string) {
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
	lockRecordCleaned(path)()
}

// lockRecordCleaned is lockRecord, and, when it got the lock, removeStaleTemps: how every
// writer of a record begins.
func lockRecordCleaned(path string) (unlock func()) {
	unlock, held := lockRecordHeld(path)
	if held {
		removeStaleTemps(path)
	}
	return unlock
}
