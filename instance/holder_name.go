package instance

import (
	"os"
	"path/filepath"

	"github.com/daemonkit/daemonkit/pidfile"
)

// maxRecordsBeside bounds how many records HolderName reads in a pidfile's directory, which
// may be a shared one (/run) with many files.
const maxRecordsBeside = 64

// HolderName names the instance whose daemon holds the lock of pidFile, an absolute path,
// by the record beside it that proves it so: NAME.json naming pidFile and its holder's
// pid, as Inspect believes a record. It is for a pidfile given alone, whose base name
// names its instance unless a record says otherwise: a daemon started with --name web
// --pidfile /run/app.pid is web's, and its record /run/web.json. first is the name to look
// at first (the base name's). ok is false when nothing holds the lock, or no record among
// first's and maxRecordsBeside others of the directory, or more than one, proves it:
// nothing is guessed.
func HolderName(pidFile, first string) (name string, ok bool) {
	st, err := pidfile.Probe(pidFile)
	if err != nil || st.State != pidfile.Running || st.PID <= 0 {
		return "", false
	}
	dir := filepath.Dir(pidFile)
	proves := func(name string) bool {
		rec, err := ReadRecord(filepath.Join(dir, name+".json"))
		return err == nil && rec.Name == name && rec.PIDFile == pidFile && rec.PID == st.PID
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
