package instance

import (
	"os"
	"path/filepath"

	"github.com/daemonkit/daemonkit/pidfile"
)

// maxRecordsBeside bounds how many records PIDFileOwner reads in a pidfile's directory,
// which may be a shared one (/run) with many files.
const maxRecordsBeside = 64

// PIDFileOwner names the instance whose daemon holds the lock of pidFile, an absolute path,
// by the record beside it that proves it so, as Inspect believes a record: NAME.json naming
// pidFile (its directory by identity, so a path through a symbolic link counts) and
// naming the holder by its pid and start time, not marked stopped. It is for a pidfile
// given alone, whose base name (first) names its instance unless a record says otherwise:
// a daemon started with --name web --pidfile /run/app.pid is web's, and its record
// /run/web.json. first's record is looked at first. ok is false when nothing holds the
// lock, or no record among first's and maxRecordsBeside others of the directory proves
// it, or more than one does: nothing is guessed.
func PIDFileOwner(pidFile, first string) (name string, ok bool) {
	st, err := pidfile.Probe(pidFile)
	if err != nil || st.State != pidfile.Running || st.PID <= 0 {
		return "", false
	}
	dir := filepath.Dir(pidFile)
	proves := func(name string) bool {
		rec, err := ReadRecord(filepath.Join(dir, name+".json"))
		return err == nil && rec.isFor(Paths{Name: name, PIDFile: pidFile}) && rec.names(st.PID)
	}
	if ValidateName(first) == nil && proves(first) {
		return first, true
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return "", false
	}
	read := 0
	for _, de := range des {
		base, role, isOurs := FileName(de.Name())
		if !isOurs || role != "record" || base == first || de.IsDir() || ValidateName(base) != nil {
			continue
		}
		if read++; read > maxRecordsBeside {
			return "", false
		}
		if proves(base) {
			if name != "" {
				return "", false // two records claim it: neither is believed
			}
			name = base
		}
	}
	return name, name != ""
}
