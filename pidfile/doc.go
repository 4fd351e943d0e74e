// Package pidfile creates, locks, reads, verifies and removes pidfiles.
//
// The lock, not the content, says whether a daemon runs. A daemon calls [Acquire], which
// takes a classic POSIX fcntl write lock on the file and holds it for the life of the
// process; the kernel drops it the moment the process dies, even while the process is a
// zombie. [Probe] asks the kernel (F_GETLK) who holds the lock: a file whose lock is free is
// stale, whatever pid it names. The content, the holder's pid in decimal and a newline, is
// informative only, and [ParsePID] accepts nothing else.
//
// A process that holds a pidfile must not open and close that file by any other means:
// closing any descriptor of a file drops all of the process's POSIX locks on it. The
// functions of this package know which files the process holds and never do that.
//
// The package never logs and never signals.
package pidfile
