package instance

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrNameCase means an instance's file is another instance's, whose name differs from it
// only in case, because the file system of their directory does not tell names apart by
// case (vfat, exFAT, a case-insensitive APFS volume, an ext4 casefold directory).
var ErrNameCase = errors.New("a file of another instance, whose name differs only in case")

// caseSuffixes are the files that make an instance (see FileName): its pidfile, record and
// start lock.
var caseSuffixes = []string{".pid", ".json", ".starting"}

// checkNameCase refuses name in dir where one of its files (NAME.pid, NAME.json,
// NAME.starting) is there only under another case (Web.pid for web): the file system folds
// case, so that whatever web's commands did there (a start's lock, a stop's signal, a
// delete) would be done to instance Web. It costs two lstat calls a file, and reads the
// directory only where a name and its case-swapped twin both answer: on a case-sensitive
// file system, only when both instances are there.
func checkNameCase(dir, name string) error {
	swapped := swapCase(name)
	if swapped == name { // no letters: no other case to clash with
		return nil
	}
	for _, suffix := range caseSuffixes {
		stored := otherCase(dir, name+suffix, swapped+suffix)
		if stored == "" {
			continue
		}
		other := strings.TrimSuffix(stored, suffix)
		return fmt.Errorf("instance %s: %s is %s, instance %s's: %w: the file system of %s does not tell names apart by case; "+
			"give the name %s to act on that instance, or give this one a name that differs by more than case, or give --state-dir (or --pidfile) a directory on a case-sensitive file system (such as /run)",
			name, filepath.Join(dir, name+suffix), stored, other, ErrNameCase, dir, other)
	}
	return nil
}

// CheckLogCase refuses log, the default log <log-dir>/<name>.log of a new instance, where
// it is there only under another case (Web.log for web) on a file system that folds case:
// the two instances would write one file, and logs of each would show the other's lines.
func CheckLogCase(log, name string) error {
	dir, file := filepath.Split(log)
	stored := otherCase(dir, file, swapCase(name)+".log")
	if stored == "" || stored == file {
		return nil
	}
	return fmt.Errorf("the log %s (<log-dir>/<name>.log) is %s, instance %s's: %w: the file system of %s does not tell names apart by case; "+
		"give --log, or a name that differs by more than case, or --log-dir a directory on a case-sensitive file system",
		log, stored, strings.TrimSuffix(stored, ".log"), ErrNameCase, filepath.Clean(dir))
}

// otherCase is the name dir lists for file where file is there only under that other
// case (the file system folds case); "" where file is not there, or is there as itself.
// swapped is file in other case: where it does not answer, the file system tells the two
// apart, and the directory is not read.
//
// The directory is read between the lstat calls and the answer, so a file of this name
// that a case-sensitive file system lists no longer (its daemon ended meanwhile, beside
// the other case's instance) must not be taken for the other's: where the two names are
// not one inode, the name must still answer after the read.
func otherCase(dir, file, swapped string) string {
	mine, err := os.Lstat(filepath.Join(dir, file))
	if err != nil {
		return ""
	}
	twin, err := os.Lstat(filepath.Join(dir, swapped))
	if err != nil {
		return ""
	}
	beforeListing()
	stored, err := storedName(dir, file)
	if err != nil || stored == file || stored == "" {
		return "" // unreadable, or both cases are there, each its own instance's
	}
	if !os.SameFile(mine, twin) { // a FUSE file system may give one file two inodes
		if _, err := os.Lstat(filepath.Join(dir, file)); err != nil {
			return "" // gone since: it was its own file, not the twin's
		}
	}
	return stored
}

// beforeListing runs between otherCase's lstat calls and its read of the directory: a
// test's seam, to remove the file there as a daemon ending would.
var beforeListing = func() {}

// storedName is the name dir's entries list for file, which differs from file only in
// case; file itself if it is listed, "" if neither is.
func storedName(dir, file string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	found := ""
	for _, e := range entries {
		switch n := e.Name(); {
		case n == file:
			return file, nil
		case found == "" && strings.EqualFold(n, file):
			found = n
		}
	}
	return found, nil
}

// swapCase is name with its ASCII letters' case swapped (names are ASCII: ValidateName).
func swapCase(name string) string {
	b := []byte(name)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z':
			b[i] = c - 'a' + 'A'
		case 'A' <= c && c <= 'Z':
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}
