// Package logfile is a daemon's log file: it opens the file safely, puts it on the
// daemon's standard descriptors, writes whole lines and counts what is lost, quotes its
// tail, and follows it across rotations.
//
// The guarantees:
//
//   - [Open] appends and never truncates; it creates the file 0640 and missing parent
//     directories 0755 whatever the umask, and refuses, without blocking and before writing
//     anything, a symbolic link, a FIFO, a directory, a socket or a device at the path
//     ([ErrNotRegular]) and a file with other hard links ([ErrHardLink]).
//   - [Redirect] makes descriptors (1 and 2 for a daemon) duplicates of the log at a path,
//     atomically, without close-on-exec. It is what a daemon calls after logrotate renamed
//     its log away; if the path cannot be opened, no descriptor changes.
//   - A [Writer] writes each line whole or not at all, with one write(2), and never lets a
//     loss go silent: it counts dropped lines ([Writer.Dropped]), keeps the last error
//     ([Writer.LastError]), reports each drop ([Writer.OnDrop]) and, on the first write
//     that succeeds again, first writes a notice line saying how many lines were lost and
//     why. It never returns an error: a logger must not fail the program.
//   - [Tail] quotes the last lines a run wrote (from the offset [Size] gave before it
//     started); it is a courtesy and never fails.
//   - [Follow] prints a log's last lines ([FollowWith]: or from a line on, as tail -n +N)
//     and then what is appended, following the path by name as tail -F does: across a
//     rename and a new file, each line is printed once; on Linux it wakes on each write
//     (inotify), so that what is written just before a truncation in place (copytruncate)
//     is printed too.
//
// Errors name the operation and the path once, as [io/fs.PathError] does (they are
// *fs.PathError values); conditions are checked with errors.Is against the sentinels.
package logfile
