//go:build !linux

package launcher

import (
	"errors"
	"os"
)

// removeUnused removes nothing here: whether another process writes to the log cannot be
// told, and a daemon left writing to a file nobody can find is worse than an empty log.
func removeUnused(string, os.FileInfo) error {
	return errors.New("whether it is open elsewhere cannot be told here: left in place")
}
