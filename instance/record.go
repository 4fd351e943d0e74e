package instance

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Record is what a daemon writes beside its pidfile once ready, so that status and restart
// can see how it was started. It is informative: whether the daemon runs is decided by the
// pidfile's lock, and a record counts only when its PID is the lock holder's.
type Record struct {
	Name      string          `json:"name"`
	PID       int             `json:"pid"`
	Strategy  string          `json:"strategy"`
	StartedAt time.Time       `json:"started_at"`
	Listen    string          `json:"listen,omitempty"`
	Log       string          `json:"log"`
	PIDFile   string          `json:"pidfile"`
	Program   string          `json:"program"`           // the program that started it, which alone can start it again
	Request   json.RawMessage `json:"request,omitempty"` // how to start it again, in the program's own terms (JSON)
}

// errBadRecord marks a record file that is not a record.
var errBadRecord = errors.New("not a valid record")

// WriteRecord writes r to path atomically, mode 0644: it writes a temporary file in the
// same directory, syncs it and renames it over path, so a reader sees the old record or the
// new one, never a part.
func WriteRecord(path string, r Record) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode record %q: %w", path, err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write record %q: %w", path, err)
	}
	tmp := f.Name()
	err = writeSync(f, append(b, '\n'))
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp) // best effort: the error below is what matters
		return fmt.Errorf("write record %q: %w", path, err)
	}
	return nil
}

// writeSync writes b to f, makes it 0644, syncs and closes it.
func writeSync(f *os.File, b []byte) error {
	_, err := f.Write(b)
	if err == nil {
		err = f.Chmod(0o644) // CreateTemp makes 0600
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadRecord reads the record at path. The error wraps fs.ErrNotExist when there is none.
func ReadRecord(path string) (Record, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Record{}, fmt.Errorf("read record: %w", err)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return Record{}, fmt.Errorf("read record %q: %w: %w", path, errBadRecord, err)
	}
	return r, nil
}

// RemoveRecord removes the record at path only if it names pid, so that it never removes
// the record of a daemon started since. An absent record, or a file that is not a record, is
// left alone without error, and so is every record when pid is below 1.
func RemoveRecord(path string, pid int) error {
	if pid < 1 {
		return nil
	}
	r, err := ReadRecord(path)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, errBadRecord):
		return nil
	case err != nil:
		return fmt.Errorf("remove record: %w", err)
	case r.PID != pid:
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove record: %w", err)
	}
	return nil
}
