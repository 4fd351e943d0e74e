package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// unreadableRecordAdvice says what to do about a running instance's record that cannot be
// read: ask as its owner, when another user owns it (a monitoring agent asking about
// root's), or as one who may look in its directory, when this user may not (a state
// directory made 0000, another user's 0700): the record is not at fault then; else it is
// damaged, or not a file daemonkit wrote, which start does not replace.
func unreadableRecordAdvice(path string) string {
	var st syscall.Stat_t
	err := syscall.Lstat(path, &st)
	switch {
	case err == nil && int(st.Uid) != os.Geteuid():
		return fmt.Sprintf("ask as the user that started it (uid %d)", st.Uid)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Sprintf("uid %d may not look in %s: give it back the permission (chmod), or ask as a user who may look in it", os.Geteuid(), filepath.Dir(path))
	}
	return fmt.Sprintf("it is damaged, or not a record daemonkit wrote: stop the instance, remove it (rm %s), and start it again", path)
}
