package instance

import (
	"bytes"
	"os"
	"slices"
	"strconv"
)

// foregroundCommand is the program's command line of start, a start in the foreground
// whose program is child, as that start was given it: the words after the first "--" of
// its own command line ("daemonkit start -n web -- sleep 60": sleep 60). Given without
// "--" ("start -n web sleep 60"), where only the grammar knows where the command begins,
// it is child's command line as the kernel has it (a script's names its interpreter
// first). nil where neither can be read.
func foregroundCommand(start, child int) []string {
	if argv := cmdline(start); slices.Contains(argv, "--") {
		if after := argv[slices.Index(argv, "--")+1:]; len(after) > 0 {
			return after
		}
	}
	return cmdline(child)
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
