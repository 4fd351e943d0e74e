package launcher

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/limits"
	"github.com/daemonkit/daemonkit/logfile"
	"github.com/daemonkit/daemonkit/strategy"
)

// tailLines is how many of the log's last lines an error quotes.
const tailLines = 10

// scanLines is how many of the log's last lines formatTail is given to look for a Go crash
// in (logfile.Tail reads no further back than 16 KiB in any case): a crash's own lines come
// before its stack trace, which may run to hundreds of lines.
const scanLines = 1 << 12

// crashLines bounds how many of a Go crash's own lines an error quotes.
const crashLines = 10

// openFiles opens /dev/null for the daemon's stdin and the log for its stdout and stderr
// (see logfile.Open: appended to, created 0640, never through a symlink, never blocking on
// a FIFO), and returns the log's size before this run, so that only this run's lines are
// quoted later, and, if the log was not there before, what it opened (made), for
// removeMadeLog. An empty logPath means /dev/null.
func openFiles(logPath string) (files strategy.Files, size int64, made os.FileInfo, err error) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		return strategy.Files{}, 0, nil, err
	}
	if logPath == "" {
		out, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			null.Close()
			return strategy.Files{}, 0, nil, err
		}
		return strategy.Files{Stdin: null, Stdout: out, Stderr: out}, 0, nil, nil
	}
	_, err = os.Lstat(logPath)
	missing := errors.Is(err, fs.ErrNotExist)
	lf, err := logfile.Open(logPath)
	if err != nil {
		null.Close()
		return strategy.Files{}, 0, nil, err
	}
	fi, err := lf.Stat()
	if err != nil {
		null.Close()
		lf.Close()
		return strategy.Files{}, 0, nil, err
	}
	if missing {
		made = fi
	}
	return strategy.Files{Stdin: null, Stdout: lf, Stderr: lf}, fi.Size(), made, nil
}

// removeMadeLog removes the log at path after a failed launch, if this launch made it
// (made is what it opened) and it is still that file, and still empty: a failed start
// leaves no empty log behind, sticky (keepfile), which cleaners of temporary directories
// would never age out. A log that was there before, one with content, and a file put at
// path since are left alone.
func removeMadeLog(path string, made os.FileInfo, log hclog.Logger) {
	if made == nil {
		return
	}
	fi, err := os.Lstat(path)
	if err != nil || !os.SameFile(fi, made) || fi.Size() != 0 {
		return
	}
	if err := removeUnused(path, made); err != nil {
		log.Debug("could not remove the empty log this launch made", "path", path, "error", err)
		return
	}
	log.Debug("removed the empty log this launch made", "path", path)
}

// closeFiles closes what openFiles opened and the handshake's write end.
func closeFiles(f strategy.Files) {
	if f.Stderr == f.Stdout {
		f.Stderr = nil
	}
	for _, c := range []*os.File{f.Stdin, f.Stdout, f.Stderr, f.Ready} {
		if c != nil {
			c.Close()
		}
	}
}

// formatTail puts the last tailLines of lines, the end of the log at path, after an error
// message: "\nlast lines of its log:\n    ...". When lines hold a Go program's crash (see
// goCrash), whose stack trace fills the end of the log, it quotes the crash's own lines
// instead, and says that the stack is in the log.
func formatTail(lines []string, path string) string {
	if crash := goCrash(lines); crash != nil {
		return formatCrash(crash, path, 0)
	}
	return quoteLines("\nlast lines of its log:", lines[max(0, len(lines)-tailLines):])
}

// formatCrash quotes crash, goCrash's lines of a crash in the log at path, saying how
// much of the log, from the first of them on, it leaves out (span, in bytes), when that
// is more than the quote (span not 0).
func formatCrash(crash []string, path string, span int64) string {
	size := ""
	if left := span - int64(len(strings.Join(crash, "\n"))+1); span > 0 && left > 0 {
		size = fmt.Sprintf(", %d KiB of it, not quoted here", (left+1023)>>10)
	}
	return quoteLines(fmt.Sprintf("\nit crashed (a Go runtime error; the stack trace follows these lines in %s%s):", path, size), crash) + threadLimitHint(crash)
}

// crashReasons are the lines a Go crash's reason begins with, which crashFarBack looks
// back for: a cgo build's failure to make a thread ("runtime/cgo: pthread_create failed")
// among them, whose dump of registers, memory and goroutines runs past what Tail reads.
var crashReasons = []string{"panic: ", "fatal error: ", cgoReason}

// cgoReason begins the reason of a cgo build's crash, which then dies of SIGABRT.
const cgoReason = "runtime/cgo: "

// crashFarBack finds the crash that lines, the last of the log at path from offset from,
// end in, when they hold its stack trace but not its reason: a traceback of many
// goroutines (GOTRACEBACK=all, or a fatal error's) runs longer than logfile.Tail looks
// back. It returns the crash's own lines (goCrash) from the last reason line of the log
// (logfile.TailAt, which looks back a bounded way), and how many bytes of the log there
// are from the first of them; nil when lines hold no stack trace, hold the reason already,
// the reason is further back than TailAt looks, or the last reason line is not followed
// as the Go runtime follows its own (runtimeReason): a "panic: " line of the program's own
// output, and a later SIGQUIT dump, which has no reason line, are no crash with a reason.
func crashFarBack(lines []string, path string, from int64) ([]string, int64) {
	if goCrash(lines) != nil || !slices.ContainsFunc(lines, isGoroutineHeader) {
		return nil, 0
	}
	head, span := logfile.TailAt(path, from, scanLines, crashReasons...)
	if !runtimeReason(head) {
		return nil, 0
	}
	crash := goCrash(head)
	if crash == nil {
		return nil, 0
	}
	return crash, span
}

// runtimeReason reports whether lines, from a reason line on, are laid out as the Go
// runtime lays out a crash: the "panic: " or "fatal error: " line, its message's
// continuation (a nested panic, a message of several lines), an optional "[signal ...]"
// line, a blank line, then the first "goroutine N [" header or "runtime stack:". A line
// that begins a signal's dump ("SIGQUIT: quit", "PC=0x...") is no continuation: the
// runtime prints one only where it has no reason line, but after a cgo build's reason
// ("runtime/cgo: ...", then "SIGABRT: abort" and "PC=0x...").
func runtimeReason(lines []string) bool {
	cgo := false
	for i, line := range lines {
		switch {
		case i == 0:
			if !slices.ContainsFunc(crashReasons, func(p string) bool { return strings.HasPrefix(line, p) }) {
				return false
			}
			cgo = strings.HasPrefix(line, cgoReason)
		case line == "":
			return i+1 < len(lines) && (isGoroutineHeader(lines[i+1]) || lines[i+1] == "runtime stack:")
		case isSignalDump(line) && !cgo:
			return false
		}
	}
	return false
}

// isSignalDump reports whether line begins the dump the Go runtime writes for a signal it
// dies of without a reason line: "SIGQUIT: quit", "SIGABRT: abort", then "PC=0x... m=0
// sigcode=0".
func isSignalDump(line string) bool {
	if strings.HasPrefix(line, "PC=") {
		return true
	}
	name, _, ok := strings.Cut(line, ": ")
	if !ok || len(name) < 4 || !strings.HasPrefix(name, "SIG") {
		return false
	}
	for _, c := range name[3:] {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// quoteLines writes head and then each line, indented, made visible (writeVisible); ""
// if there are no lines.
func quoteLines(head string, lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(head)
	for _, line := range lines {
		b.WriteString("\n    ")
		writeVisible(&b, line)
	}
	return b.String()
}

// threadLimitHint says which limit to raise when crash, goCrash's lines, is a cgo build's
// failure to make a thread ("runtime/cgo: pthread_create failed: Resource temporarily
// unavailable"), which, unlike the runtime's own ("may need to increase max user
// processes"), names no limit; "" for any other crash.
func threadLimitHint(crash []string) string {
	if !slices.ContainsFunc(crash, func(line string) bool {
		return strings.HasPrefix(line, "runtime/cgo: pthread_create failed: ")
	}) {
		return ""
	}
	return fmt.Sprintf("\nit could not make a thread: its user's processes and threads reached their limit (ulimit -u, RLIMIT_NPROC: %s), or the system its own (kernel.threads-max, a cgroup's pids.max): raise ulimit -u in the shell that starts daemonkit (LimitNPROC= in a unit)",
		limits.SoftText(unix.RLIMIT_NPROC))
}

// goCrash returns the lines that say why a Go program crashed, if lines (the end of a log)
// hold such a crash: its "runtime: ", "runtime/cgo: ", "fatal error: " and "panic: " lines,
// each "panic: " with the lines after it up to a blank one (a message of several lines, a
// nested panic, or "[signal SIGSEGV: ...]"), and
// the signal a cgo build's crash ends in ("SIGABRT: abort"), before the first "goroutine N
// [" line of the stack trace; at most crashLines of them. Otherwise, and when the crash's
// own lines are further back than lines go, nil.
func goCrash(lines []string) []string {
	stack := slices.IndexFunc(lines, isGoroutineHeader)
	if stack < 0 {
		return nil
	}
	var crash []string
	for i := 0; i < stack && len(crash) < crashLines; i++ {
		line := lines[i]
		if !isCrashLine(line) {
			continue
		}
		crash = append(crash, line)
		if !strings.HasPrefix(line, "panic: ") {
			continue
		}
		for i+1 < stack && strings.TrimSpace(lines[i+1]) != "" && len(crash) < crashLines {
			i++ // the panic's message goes on to the blank line before the stack
			crash = append(crash, lines[i])
		}
	}
	return crash
}

// isCrashLine reports whether line is one of a Go crash's own lines, as goCrash quotes them;
// not the runtime's words within a traceback ("runtime: g 0 gp=0x...: unknown pc 0x...",
// of a frame it cannot walk), which a tail that begins past the reason holds.
func isCrashLine(line string) bool {
	if strings.HasPrefix(line, "runtime: g ") || strings.Contains(line, " pc 0x") {
		return false
	}
	for _, prefix := range []string{"runtime: ", "runtime/cgo: ", "fatal error: ", "panic: "} {
		if strings.HasPrefix(line, prefix) {
			return true
		}
	}
	return line == "SIGABRT: abort"
}

// isGoroutineHeader reports whether line begins a goroutine's stack in a Go traceback:
// "goroutine 1 [running]:", or, for a runtime throw and with GOTRACEBACK=system or crash,
// "goroutine 1 gp=0xc000002380 m=0 mp=0x5a8e20 [running]:".
func isGoroutineHeader(line string) bool {
	rest, ok := strings.CutPrefix(line, "goroutine ")
	if !ok {
		return false
	}
	head, state, ok := strings.Cut(rest, " [")
	if !ok || !strings.HasSuffix(state, ":") {
		return false
	}
	id, fields, _ := strings.Cut(head, " ")
	if id == "" || (fields != "" && !strings.HasPrefix(fields, "gp=")) {
		return false
	}
	for _, c := range id {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// writeVisible writes line with its control characters (but tab) and bytes that are not
// UTF-8 escaped as \xNN, so that a program's escape sequences, quoted in start's error, do
// not reach the terminal (a title, a colour left on, a cleared screen).
func writeVisible(b *strings.Builder, line string) {
	for i := 0; i < len(line); {
		r, size := utf8.DecodeRuneInString(line[i:])
		switch {
		case r == utf8.RuneError && size <= 1, r != '\t' && unicode.IsControl(r):
			for _, c := range []byte(line[i : i+size]) {
				fmt.Fprintf(b, "\\x%02x", c)
			}
		default:
			b.WriteString(line[i : i+size])
		}
		i += size
	}
}
