package instance

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/daemonkit/daemonkit/pidfile"
)

// maxRecordsBeside bounds how many records PIDFileOwner reads in a pidfile's directory,
// which may be a shared one (/run) with many files.
const maxRecordsBeside = 64

// PIDFileOwner names the instance whose pidfile pidFile, an absolute path, is, by a record
// beside it: for a pidfile given alone, whose base name (first) names its instance unless a
// record says otherwise (a daemon started with --name web --pidfile /run/app.pid is web's,
// and its record /run/web.json). While a daemon holds pidFile's lock, it is the instance
// whose record names pidFile and that daemon's pid, as Inspect believes a record, first's
// looked at first. While none does, it is first if first has a record there, else the one
// instance whose record there names pidFile. ok is false when no record proves it, or more
// than one claims it, among first's and maxRecordsBeside others of the directory: nothing
// is guessed.
func PIDFileOwner(pidFile, first string) (name string, ok bool) {
	st, err := pidfile.Probe(pidFile)
	if err != nil {
		return "", false
	}
	held := st.State == pidfile.Running
	if held && st.PID <= 0 {
		return "", false
	}
	dir := filepath.Dir(pidFile)
	owns := func(name string) (bool, error) {
		rec, err := ReadRecord(filepath.Join(dir, name+".json"))
		return err == nil && rec.Name == name && rec.PIDFile == pidFile && (!held || rec.PID == st.PID), err
	}
	if ValidateName(first) == nil {
		switch yes, err := owns(first); {
		case yes:
			return first, true
		case !held && !errors.Is(err, fs.ErrNotExist):
			return "", false // first's own record: first is the instance, as before
		}
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
		if yes, _ := owns(base); yes {
			if name != "" {
				return "", false // two records claim it: neither is believed
			}
			name = base
		}
	}
	return name, name != ""
}
