package cli

import (
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"syscall"

	"github.com/daemonkit/daemonkit/internal/account"
)

// workIdentity is whom an env file's variables are for: the user and group the work runs
// as, --user's (and --group's, else that user's primary group) or this process's.
type workIdentity struct {
	uid, gid uint32
	user     string // --user as given, "" without it
}

// trustEnvFile refuses an env file whose content another user decides: one owned by a
// user other than root, the one running daemonkit and the one the work runs as, or one
// that such a user may write (writable by others, or by a group other than root's and the
// work's). Its variables are the work's environment (LD_PRELOAD, PATH): such a user would
// choose what runs as the work's user, root's very often, as sshd refuses an
// authorized_keys file that others may write. The error names the owner or the mode, and
// the fix.
func trustEnvFile(path string, fi fs.FileInfo, work workIdentity) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil // no owner to read here
	}
	me := uint32(os.Geteuid())
	if uid := uint32(st.Uid); uid != 0 && uid != me && uid != work.uid {
		fix := fmt.Sprintf("give the file to root or to %s (chown), or run the work as its owner with --user", work.label())
		switch {
		case me == 0 && work.uid == 0:
			fix = "give the file to root (chown root), or run the work as its owner with --user"
		case me != 0:
			fix = "use a copy of it that you own"
		}
		return fmt.Errorf("env file %s: owned by %s, another user than the one the work runs as: that user would choose its environment (LD_PRELOAD, PATH: what runs as %s); %s",
			path, userLabel(uid), work.label(), fix)
	}
	mode := fi.Mode().Perm()
	if mode&0o002 != 0 {
		return fmt.Errorf("env file %s: writable by every user (mode %04o): any of them would choose the work's environment; chmod o-w %s", path, mode, path)
	}
	if gid := uint32(st.Gid); mode&0o020 != 0 && gid != 0 && gid != work.gid {
		return fmt.Errorf("env file %s: writable by group %s (mode %04o), not the work's: its members would choose the work's environment; chmod g-w %s, or give it to the work's group", path, groupLabel(gid), mode, path)
	}
	return nil
}

// groupLabel names gid by its group name where it has one, with the number: "staff (gid 50)".
func groupLabel(gid uint32) string {
	if g, err := account.LookupGroup(strconv.FormatUint(uint64(gid), 10)); err == nil && g.Name != "" {
		return fmt.Sprintf("%s (gid %d)", g.Name, gid)
	}
	return fmt.Sprintf("gid %d", gid)
}

// label names the work's user for a message.
func (w workIdentity) label() string {
	if w.user != "" {
		return w.user
	}
	return userLabel(w.uid)
}

// userLabel names uid by its user name where it has one, with the number: "www-data (uid 33)".
func userLabel(uid uint32) string {
	if u, err := account.LookupUser(strconv.FormatUint(uint64(uid), 10)); err == nil && u.Name != "" {
		return fmt.Sprintf("%s (uid %d)", u.Name, uid)
	}
	return fmt.Sprintf("uid %d", uid)
}
