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
	names, complete := recordsNaming(pidFile, first, func(rec Record) bool { return rec.names(st.PID) })
	if !complete || len(names) != 1 { // two records claim it: neither is believed
		return "", false
	}
	return names[0], true
}

// PIDFileNamedBy names the instances whose records beside pidFile, an absolute path, name
// it as their pidfile (their directory by identity), whatever state they record: for
// advice about a pidfile given alone whose base name has no record, which another
// instance's may explain (--name web --pidfile /run/app.pid, stopped). It reads at most
// maxRecordsBeside records; complete is false when there were more.
func PIDFileNamedBy(pidFile string) (names []string, complete bool) {
	return recordsNaming(pidFile, "", func(Record) bool { return true })
}

// recordsNaming names the instances whose records in pidFile's directory name pidFile
// (Record.isFor) and satisfy also, first's record read first (a first that stops the
// search once found: PIDFileOwner's base name, whose own record settles it). complete is
// false when the directory could not be read, or held more than maxRecordsBeside other
// records.
func recordsNaming(pidFile, first string, also func(Record) bool) (names []string, complete bool) {
	dir := filepath.Dir(pidFile)
	proves := func(name string) bool {
		rec, err := ReadRecord(filepath.Join(dir, name+".json"))
		return err == nil && rec.isFor(Paths{Name: name, PIDFile: pidFile}) && also(rec)
	}
	if ValidateName(first) == nil && proves(first) {
		return []string{first}, true
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, false
	}
	read := 0
	for _, de := range des {
		base, role, isOurs := FileName(de.Name())
		if !isOurs || role != "record" || base == first || de.IsDir() || ValidateName(base) != nil {
			continue
		}
		if read++; read > maxRecordsBeside {
			return names, false
		}
		if proves(base) {
			names = append(names, base)
		}
	}
	return names, true
}
