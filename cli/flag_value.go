package cli

import (
	"slices"
	"strings"
)

// valueFlag reads args[*i] as one of the flags named, which take a value: it returns the
// value and true for "--flag=VALUE", and for "--flag VALUE", advancing *i past the value;
// the value is "" where args end, or a "--" comes, without one (the "--" left to the
// caller). It returns false, *i unchanged, for any other argument. Its callers step
// through a command line's arguments: skipGlobal steps past a global flag's value, and
// lastFlagValue keeps one.
func valueFlag(args []string, i *int, names ...string) (string, bool) {
	flag, value, inline := strings.Cut(args[*i], "=")
	if !slices.Contains(names, flag) {
		return "", false
	}
	if !inline && *i+1 < len(args) && args[*i+1] != "--" {
		*i++
		value = args[*i]
	}
	return value, true
}

// lastFlagValue is the value of the last of args that gives the flag name, which takes a
// value (valueFlag: "--name VALUE" or "--name=VALUE"), before a "--" that ends the flags;
// ok is false where none does.
func lastFlagValue(args []string, name string) (value string, ok bool) {
	for i := 0; i < len(args) && args[i] != "--"; i++ {
		if v, found := valueFlag(args, &i, name); found {
			value, ok = v, true
		}
	}
	return value, ok
}
