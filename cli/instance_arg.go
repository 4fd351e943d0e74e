package cli

import (
	"fmt"

	"github.com/alecthomas/kong"

	"github.com/daemonkit/daemonkit/instance"
)

// InstanceTarget is InstanceFlags for a command that acts on an instance that is there
// (stop, status, restart, reload, reopen, delete), which also takes the name as its
// argument, as systemctl, pm2 and supervisorctl take it: 'stop web' is 'stop --name web'.
// The command's Validate calls takeName first.
type InstanceTarget struct {
	Instance string `arg:"" optional:"" name:"name" placeholder:"NAME" help:"The instance, as --name NAME gives it."`
	InstanceFlags
}

// takeName makes the name given as the argument the instance's name (InstanceFlags.Name).
func (t *InstanceTarget) takeName(kctx *kong.Context) error {
	return takeNameArg(kctx, &t.Instance, &t.Name)
}

// takeNameArg puts the name given as the argument at arg into name, the --name flag's
// field. An argument given empty ('stop ""', an unset shell variable) is refused, as an
// empty --name is, rather than mean the default instance; so is an argument beside a
// --name of another value, and one that is no valid name. No argument leaves name as it
// is.
func takeNameArg(kctx *kong.Context, arg, name *string) error {
	for _, el := range kctx.Path {
		if el.Positional != nil && isField(el.Positional.Target, arg) && *arg == "" {
			return instance.ValidateName("") // "invalid instance name: empty"
		}
	}
	switch {
	case *arg == "":
		return nil
	case *name != "" && *name != *arg:
		return fmt.Errorf("two names, %q and --name %q: give one", *arg, *name)
	}
	if err := instance.ValidateName(*arg); err != nil {
		return err
	}
	*name = *arg
	return nil
}
