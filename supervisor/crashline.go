package supervisor

import (
	"bytes"
	"io"
	"strings"
	"sync/atomic"
	"syscall"
	"unicode/utf8"
)

// crashMarks are a newline and what begins the line the Go runtime writes first of a
// crash, which ends the program with status 2: a panic, a fatal error (a concurrent map
// write, a deadlock, out of memory), and SIGQUIT's goroutine dump.
var crashMarks = [][]byte{[]byte("\npanic: "), []byte("\nfatal error: "), []byte("\nSIGQUIT: quit")}

// maxCrashLine bounds the crash line kept (a panic's value may be long).
const maxCrashLine = 200

// crashWatch passes what a copy writes on to out, and keeps the last line of it that
// begins as the Go runtime begins a crash (crashMarks), so that a copy that ends with
// status 2 once it was ready is recorded with why ("exited with status 2: panic: ..."),
// not only its status: before it is ready, start quotes its log, but a crash after that is
// told only by the log, in the middle of a stack trace, hundreds of lines long.
type crashWatch struct {
	out  io.Writer
	line *atomic.Pointer[string]
}

func (c crashWatch) Write(b []byte) (int, error) {
	for _, mark := range crashMarks {
		if bytes.HasPrefix(b, mark[1:]) || bytes.Contains(b, mark) {
			c.note(b)
			break
		}
	}
	return c.out.Write(b)
}

// note keeps the last crash line of b, a run of whole lines.
func (c crashWatch) note(b []byte) {
	for line := range bytes.Lines(b) {
		for _, mark := range crashMarks {
			if bytes.HasPrefix(line, mark[1:]) {
				s := strings.TrimRight(string(line), "\r\n")
				if len(s) > maxCrashLine {
					cut := maxCrashLine
					for cut > 0 && !utf8.RuneStart(s[cut]) {
						cut--
					}
					s = s[:cut] + "..."
				}
				c.line.Store(&s)
			}
		}
	}
}

// crashOf is why the copy p, which ended with ws once it was ready, ended, if it ended as
// a Go program's crash does (status 2) and its output said so (crashWatch); "" otherwise.
// It waits for p's output to be relayed first, as a failed start does.
func crashOf(p *program, ws syscall.WaitStatus) string {
	if !ws.Exited() || ws.ExitStatus() != 2 || p.crash == nil {
		return ""
	}
	if p.output != nil {
		awaitOutput(p.output, p.relays)
	}
	if s := p.crash.Load(); s != nil {
		return *s
	}
	return ""
}
