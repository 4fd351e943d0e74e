package instance

import (
	"errors"
	"io/fs"
	"os"
)

// A command that changes a record it did not write (stop marks it stopped, or clears the
// invocation of a run that left nothing) reads it, changes it, and writes it back. A plain
// rename would put it back even if it was removed in between (a start a stop called off,
// of an instance that never ran, removes its daemon's record once that daemon is gone,
// as a stop that waited for the daemon marks it), or write over a record written in
// between (that start's own word on the run). updateRecord replaces only the file it read.

// fileID names one file for as long as it exists: its device and inode.
type fileID struct{ dev, ino uint64 }

// errRecordGone means the record was removed after it was read: nothing is written.
var errRecordGone = errors.New("record removed since it was read")

// errRecordChanged means the record was replaced after it was read: it is left as the
// other writer wrote it.
var errRecordChanged = errors.New("record replaced since it was read")

// testHookBeforeReplace, when set by a test, runs after updateRecord has read the record
// and before it replaces it.
var testHookBeforeReplace func()

// testHookAfterExchange, when set by a test, runs when exchangeInto has exchanged the new
// record in and not yet looked at what it took out.
var testHookAfterExchange func()

// updateAttempts bounds how often updateRecord reads a record again that others keep
// replacing: their word is the newer, and it is kept.
const updateAttempts = 3

// UpdateRecord is updateRecord, for a command that changes a record it did not write (a
// start that records its daemon's failure over the record of an earlier run): the
// change is made to the record as it is, and no writer of this build writes in between.
func UpdateRecord(path string, change func(r *Record, err error) (bool, error)) error {
	return updateRecord(path, change)
}

// updateRecord reads the record at path and gives it, with the read's error, to change,
// which changes it and says whether to write it (or fails). It then replaces the file it
// read, and only that: a record removed since stays removed (nil), and one replaced since
// is read again and given to change again (up to updateAttempts times, then left as the
// others wrote it: nil). Where there was no record (the error wraps fs.ErrNotExist), it
// makes one only if there is still none: one written since is read and given to change
// again, as a replaced one is. It writes as WriteRecord does otherwise. It holds the
// record's lock from its first read to its last write (see lockRecord), so that no writer
// of this build writes in between; the checks above guard against one of an older build,
// which takes no lock. change must take no lock and wait for no process (lock order).
func updateRecord(path string, change func(r *Record, err error) (bool, error)) error {
	return updateRecordSweep(path, false, change)
}

// updateRecordSweep is updateRecord; with sweep, it also removes, holding the lock, what
// writers killed mid-write left under a name of their own (removeStaleTemps): what a run's
// end (a stop, the daemon's own) does, where the directory read it costs is affordable.
func updateRecordSweep(path string, sweep bool, change func(r *Record, err error) (bool, error)) error {
	unlock, locked := lockRecordHeld(path)
	defer unlock()
	if sweep && locked {
		removeStaleTemps(path)
	}
	for range updateAttempts {
		r, id, err := readRecordID(path)
		absent := errors.Is(err, fs.ErrNotExist)
		write, err := change(&r, err)
		if !write || err != nil {
			return err
		}
		if testHookBeforeReplace != nil {
			testHookBeforeReplace()
		}
		place := func(tmp string) error { return exchangeInto(tmp, path, id) }
		if absent {
			place = func(tmp string) error { return createInto(tmp, path) }
		}
		err = writeRecord(path, r, locked, place)
		switch {
		case errors.Is(err, errRecordGone):
			return nil
		case !errors.Is(err, errRecordChanged):
			return err
		}
	}
	return nil
}

// linkInto puts tmp at path only if path names nothing (errRecordChanged if it does now):
// a hard link, which never replaces, and tmp's name removed; on a file system without hard
// links either, a look and a rename, which leaves a moment between the two.
func linkInto(tmp, path string) error {
	err := os.Link(tmp, path)
	switch {
	case errors.Is(err, fs.ErrExist):
		return errRecordChanged
	case err != nil:
		if _, lerr := os.Lstat(path); !errors.Is(lerr, fs.ErrNotExist) {
			return errRecordChanged
		}
		return os.Rename(tmp, path)
	}
	_ = os.Remove(tmp) // best effort: the record is in place
	return nil
}

// lstatID is the fileID of path, not following a symlink.
func lstatID(path string) (fileID, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return fileID{}, err
	}
	return idOf(fi), nil
}

// renameIfSame renames tmp over path if path is still the file was: the fallback where
// the file system cannot exchange two files, which leaves a moment between the look and
// the rename.
func renameIfSame(tmp, path string, was fileID) error {
	id, err := lstatID(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return errRecordGone
	case err != nil:
		return err
	case id != was:
		return errRecordChanged
	}
	return os.Rename(tmp, path)
}
