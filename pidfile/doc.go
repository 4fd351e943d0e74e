// Package pidfile creates, locks, reads, verifies and removes pidfiles.
//
// The lock, not the content, says whether a daemon runs. The lock protocol uses byte
// ranges of classic POSIX fcntl locks:
//
//   - A daemon calls [Acquire], which write-locks the whole file and holds the lock for the
//     life of the process; the kernel drops it the moment the process dies, even while the
//     process is a zombie.
//   - Who holds the file is asked with F_GETLK for a write lock on byte 0 ([Probe], and
//     Acquire when the file is busy): only a daemon's lock covers it, and the kernel names
//     the holder's pid. A file no daemon holds is stale, whatever pid it names.
//   - A cleaner ([RemoveStale]) write-locks byte 1 only, which conflicts with a daemon's
//     lock and with another cleaner's, and is invisible to the query. It never writes.
//
// The content, the holder's pid in decimal and a newline, is informative only, and
// [ParsePID] accepts nothing else. Nothing in this package writes, truncates or removes a
// file that is not empty, not what a power loss leaves of a pidfile (only NUL bytes in a
// sticky file: a stale file, taken over) and does not look like a pidfile
// ([ErrNotPidfile]).
//
// A process that holds a pidfile must not open and close that file by any other means:
// closing any descriptor of a file drops all of the process's POSIX locks on it. The
// functions of this package know which files the process holds and never do that. A
// daemon can notice its file being removed or replaced by hand ([File.Check]) and repair
// it ([File.Restore]).
//
// The package never logs and never signals.
package pidfile
