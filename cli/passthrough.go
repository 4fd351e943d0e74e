package cli

import (
	"reflect"
	"slices"

	"github.com/alecthomas/kong"
)

// cutTail is whether runGrammar cuts the command line with splitTail; false only in the test
// that compares the two.
var cutTail = true

// splitTail cuts the command line after the first word that follows "--". Kong's parse
// moves each argument after "--" to the front of its scanner, one at a time, which is
// quadratic in their number: a program given 10000 arguments took 2 s to start, 30000 took
// 11 s. Kong needs no more than that first word to see that a command is there; putTail
// gives the rest back.
func splitTail(args []string) (head, tail []string) {
	i := slices.Index(args, "--")
	if i < 0 || i+2 >= len(args) {
		return args, nil
	}
	return args[:i+2], args[i+2:]
}

// putTail appends tail to the passthrough argument of the selected command that Kong
// filled from head, the one that ends with head's last word; it reports whether there was
// one. Without one, tail went nowhere, and the caller says so as Kong would have.
func putTail(kctx *kong.Context, head, tail []string) bool {
	if len(tail) == 0 {
		return true
	}
	node := kctx.Selected()
	if node == nil {
		return false
	}
	last := head[len(head)-1]
	for _, pos := range node.Positional {
		got, ok := pos.Target.Interface().([]string)
		if pos.PassthroughMode == kong.PassThroughModeNone || !ok || len(got) == 0 || got[len(got)-1] != last {
			continue
		}
		pos.Target.Set(reflect.ValueOf(append(got, tail...)))
		return true
	}
	return false
}
