package cli

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/alecthomas/kong"
)

// ignoreEmptyEnvars makes a flag's environment variable (DAEMONKIT_STRATEGY, ...) that is
// set but empty count as unset, as XDG's variables do, for every flag alike: a script's
// DAEMONKIT_STRATEGY=$UNSET then means the default, as DAEMONKIT_STATE_DIR= always did,
// not an unknown strategy "". It runs before Kong resets the flags to their defaults and
// variables, once the variables' names are interpolated.
func ignoreEmptyEnvars(kctx *kong.Context) error {
	var walk func(n *kong.Node)
	walk = func(n *kong.Node) {
		for _, f := range n.Flags {
			f.Tag.Envs = slices.DeleteFunc(f.Tag.Envs, func(env string) bool {
				v, ok := os.LookupEnv(env)
				return ok && v == ""
			})
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(kctx.Model.Node)
	return nil
}

// checkEnvEnums refuses, as a usage error that names the variable, a value of a flag with
// a fixed set of values that came from its environment variable
// (DAEMONKIT_LOG_LEVEL=loud), not the command line: Kong would name the flag, which the
// user never typed. The flag whose field is skip (--strategy, whose own check names the
// variable with the registry's hint) is left alone.
func checkEnvEnums(kctx *kong.Context, skip *string) error {
	for _, f := range kctx.Flags() {
		if f.Enum == "" || givenOnCommandLine(kctx, f) || isField(f.Target, skip) {
			continue
		}
		for _, env := range f.Tag.Envs {
			v, ok := os.LookupEnv(env)
			if !ok {
				continue
			}
			if !f.EnumMap()[v] {
				return fmt.Errorf("%s=%q: want one of %s; unset it, or give --%s",
					env, v, strings.Join(f.EnumSlice(), ", "), f.Name)
			}
			break // the first one set counts, as Kong reads them
		}
	}
	return nil
}

// givenOnCommandLine reports whether the command line gave flag f.
func givenOnCommandLine(kctx *kong.Context, f *kong.Flag) bool {
	for _, el := range kctx.Path {
		if el.Flag == f {
			return true
		}
	}
	return false
}

// envSource is the environment variable flag f's value came from, "" if it came from the
// command line or its default.
func envSource(kctx *kong.Context, f *kong.Flag) string {
	if givenOnCommandLine(kctx, f) {
		return ""
	}
	for _, env := range f.Tag.Envs {
		if _, ok := os.LookupEnv(env); ok {
			return env
		}
	}
	return ""
}
