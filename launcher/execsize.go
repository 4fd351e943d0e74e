package launcher

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/daemonkit/daemonkit/strategy"
)

// StringTooLongError says one argument or environment string is longer than one exec
// passes (MAX_ARG_STRLEN on Linux): the kernel refuses the whole exec with E2BIG, whatever
// the total. It names the variable, never its value, which may be a secret.
type StringTooLongError struct {
	What  string // "variable NAME", or "argument N" (argv[0] is argument 0)
	Size  int    // its bytes, the terminating NUL included, as the kernel counts them
	Limit int    // the most one string may take, its NUL included
}

// Error reads "variable BIG takes 133121 bytes with its NUL, more than the 131072 one exec
// passes in a single string (MAX_ARG_STRLEN)".
func (e *StringTooLongError) Error() string {
	return fmt.Sprintf("%s takes %d bytes with its NUL, more than the %d one exec passes in a single string (MAX_ARG_STRLEN)",
		e.What, e.Size, e.Limit)
}

// Unwrap makes errors.Is(err, syscall.E2BIG) true, as the exec's own error would be.
func (e *StringTooLongError) Unwrap() error { return syscall.E2BIG }

// CheckVariable reports, as a *StringTooLongError naming the variable, an environment
// string (KEY=VALUE) that no exec can pass here: on Linux, one over MAX_ARG_STRLEN (32
// pages, 128 KiB with 4 KiB pages, its NUL included). Elsewhere, where one string has no
// bound of its own, and for any string within it, it returns nil. CheckExec checks each
// variable with it; a caller that knows where a variable came from (a file, a flag) checks
// with it first, to say so.
func CheckVariable(kv string) error {
	limit := maxArgString()
	if limit <= 0 || len(kv)+1 <= limit {
		return nil
	}
	name, _, _ := strings.Cut(kv, "=")
	return &StringTooLongError{What: "variable " + name, Size: len(kv) + 1, Limit: limit}
}

// CheckExec reports, before anything is started, an exec of spec that the kernel would
// refuse with E2BIG ("argument list too long"), as Launch does first: an argument or a
// variable over the bound on one string (a *StringTooLongError: see CheckVariable), or
// arguments and environment (spec.Env, or this process's if nil) that take more in all
// than one exec takes here (on Linux a quarter of the stack limit, ulimit -s, at least 128
// KiB and at most 6 MiB, pointers and the executable's path counted, and a little for the
// word a strategy adds). Such an error is errors.Is syscall.E2BIG and names the sizes and
// the fix. nil if the exec fits, or where the bounds are not known.
func CheckExec(spec strategy.Spec) error {
	env := spec.Env
	if env == nil {
		env = os.Environ()
	}
	argv0 := spec.Argv0
	if argv0 == "" {
		argv0 = os.Args[0]
	}
	args := append([]string{argv0}, spec.Args...)
	if limit := maxArgString(); limit > 0 {
		for i, a := range args {
			if len(a)+1 > limit {
				return &StringTooLongError{What: "argument " + strconv.Itoa(i), Size: len(a) + 1, Limit: limit}
			}
		}
		for _, kv := range env {
			if err := CheckVariable(kv); err != nil {
				return err
			}
		}
	}
	total := maxArgTotal()
	if total <= 0 {
		return nil
	}
	path := spec.Path
	if path == "" {
		path, _ = strategy.Executable()
	}
	if size := execSize(path, args, env); size > total {
		return fmt.Errorf("%w: the daemon's arguments and environment take %d bytes, more than the %d one exec takes here (a quarter of the stack limit, ulimit -s, at least 128 KiB and at most 6 MiB); shorten the environment, or the command line (which the request in them carries), or raise ulimit -s",
			syscall.E2BIG, size, total)
	}
	return nil
}

// strategyWords is what CheckExec counts for the words a strategy adds to the daemon's
// arguments (reexec's hidden command) and for the kernel's own rounding.
const strategyWords = 1 << 10

// execSize is how many bytes an exec of path with args and env takes of the kernel's
// bound on them: each string and its NUL, a pointer to each, the path, and strategyWords.
func execSize(path string, args, env []string) int {
	n := len(path) + 1 + (len(args)+len(env)+2)*(strconv.IntSize/8) + strategyWords
	for _, s := range args {
		n += len(s) + 1
	}
	for _, s := range env {
		n += len(s) + 1
	}
	return n
}
