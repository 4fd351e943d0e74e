package cli

import (
	"reflect"
	"slices"
	"strings"

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

// signedFlags take a number that may be negative, which Kong would take for a short flag
// when it comes as the next word: --nice -5 (as nice -n -5 takes it).
var signedFlags = []string{"--nice"}

// negativeNumber reports whether s is "-" and digits (no regular expression: nothing is
// compiled at initialisation, in every process of the binary).
func negativeNumber(s string) bool {
	digits, ok := strings.CutPrefix(s, "-")
	return ok && digits != "" && strings.Trim(digits, "0123456789") == ""
}

// joinSignedValues writes "FLAG -N" as "FLAG=-N" for the signedFlags, before "--" only (what
// follows is the program's), so that Kong takes -N as the flag's value.
func joinSignedValues(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if args[i] == "--" {
			return append(out, args[i:]...)
		}
		if i+1 < len(args) && slices.Contains(signedFlags, args[i]) && negativeNumber(args[i+1]) {
			out = append(out, args[i]+"="+args[i+1])
			i++
			continue
		}
		out = append(out, args[i])
	}
	return out
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
