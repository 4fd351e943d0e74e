package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/daemonkit/daemonkit/instance"
	"github.com/daemonkit/daemonkit/pidfile"
)

// unreadableRecordAdvice says what to do about the record of the instance at paths that
// cannot be read: ask as its owner, when another user owns it (a monitoring agent asking
// about root's), or as one who may look in its directory, when this user may not (a state
// directory made 0000, another user's 0700): the record is not at fault then; else it is
// damaged, or not a file daemonkit wrote, which start does not replace: remove it, and a
// running daemon writes it again at once (nothing needs stopping), or start the instance
// again.
func unreadableRecordAdvice(paths instance.Paths) string {
	path := paths.Record
	var st syscall.Stat_t
	err := syscall.Lstat(path, &st)
	switch {
	case err == nil && int(st.Uid) != os.Geteuid():
		return fmt.Sprintf("ask as the user that started it (uid %d)", st.Uid)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Sprintf("uid %d may not look in %s: give it back the permission (chmod), or ask as a user who may look in it", os.Geteuid(), filepath.Dir(path))
	}
	if held, _ := pidfile.Probe(paths.PIDFile); held.State == pidfile.Running {
		return fmt.Sprintf("it is damaged, or not a record daemonkit wrote: remove it (rm %s), and its daemon, which runs, writes it again at once (if it does not, an older daemonkit's, stop the instance and start it again)", path)
	}
	return fmt.Sprintf("it is damaged, or not a record daemonkit wrote: remove it (rm %s), and start the instance again", path)
}

// unreadableRecordNote is what status and list note of the instance at paths whose record
// cannot be read (err): another user's, as root's 0600 record is to a monitoring user, or
// damaged. What only the record tells is unknown then, and the note says what, and how to
// learn it (unreadableRecordAdvice): of a running daemon (running), whether its program
// runs or waits to be restarted, or it drains; of one that is not, how it ended.
func unreadableRecordNote(paths instance.Paths, err error, running bool) string {
	unknown := "whether it was stopped or failed, and how it ended, only the record says"
	if running {
		unknown = "whether its program runs or waits to be restarted, or it drains, only the record says"
	}
	return fmt.Sprintf("its record cannot be read (%v): %s; %s", err, unknown, unreadableRecordAdvice(paths))
}
