package instance

import (
	"bytes"
	"os"
	"slices"
	"strconv"
)

// foregroundCommand is the program's command line of start, a start in the foreground
// whose program is child, as that start was given it: child's command line as the kernel
// has it, where it ends start's own ("daemonkit start -n web -- sh -c 'x' -- y": sh -c x
// -- y, with or without start's "--"); else the words after the first "--" of start's
// (a program that rewrote its title, or one the kernel names otherwise); else child's
// (a script's names its interpreter first). nil where none can be read.
func foregroundCommand(start, child int) []string {
	argv, prog := cmdline(start), cmdline(child)
	if len(prog) > 0 && len(prog) < len(argv) && slices.Equal(argv[len(argv)-len(prog):], prog) {
		return prog
	}
	if i := slices.Index(argv, "--"); i >= 0 && i+1 < len(argv) {
		return argv[i+1:]
	}
	return prog
}

// cmdline is pid's arguments (/proc/PID/cmdline), nil if they cannot be read.
func cmdline(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(b) == 0 {
		return nil
	}
	var words []string
	for w := range bytes.SplitSeq(bytes.TrimSuffix(b, []byte{0}), []byte{0}) {
		words = append(words, string(w))
	}
	return words
}
