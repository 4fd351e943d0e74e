// Package keepfile marks the files a running daemon keeps (its pidfile, its record, the log
// daemonkit creates for it) so that cleaners of temporary directories leave them alone.
//
// systemd-tmpfiles removes what a temporary directory has not touched for a while (/tmp
// after 10 days on Debian 13 and Fedora; any directory a tmpfiles.d line names), and the
// XDG Base Directory specification lets $XDG_RUNTIME_DIR be cleaned the same way. Both
// skip a file whose sticky bit is set. Without it, a daemon that runs for weeks from the
// fallback state directory under /tmp loses its record and log while it runs, and status,
// restart and logs with them.
package keepfile

import "os"

// Mode is Bit as an os.FileMode, for os.File.Chmod.
const Mode os.FileMode = modeSticky

// Bit is the sticky bit (S_ISVTX) on Linux, where the cleaners that honour it run, and 0
// elsewhere: no cleaner there reads it, and FreeBSD refuses it on a file to anyone but
// root (EFTYPE). Or it into a file's permission bits.
const Bit uint32 = bitSticky
