package cli

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/alecthomas/kong"
)

// checkFlagsAboveStart refuses a Config.Flags, flags, whose fields are flags of app, a
// grammar of the program's own, but none of them on start's way from the root: embedded
// under a command beside the one that holds cli.Commands (app serve, beside app daemon),
// they are parsed by that command alone, and start would carry none of them to the
// daemon, whose serve function would read their zero values. Kong gives a command the
// flags of the nodes above it only. Nil flags, or none in the grammar (checkFlagsInGrammar
// says so), pass.
func checkFlagsAboveStart(app *kong.Application, cmds *Commands, flags any) error {
	if flags == nil {
		return nil
	}
	start := reflect.ValueOf(&cmds.Start).Pointer()
	var startNode *kong.Node
	_ = kong.Visit(app, func(n kong.Visitable, next kong.Next) error {
		if node, ok := n.(*kong.Node); ok && startNode == nil && node.Type == kong.CommandNode && node.Target.CanAddr() && node.Target.Addr().Pointer() == start {
			startNode = node
		}
		return next(nil)
	})
	if startNode == nil {
		return nil
	}
	for n := startNode; n != nil; n = n.Parent {
		for _, f := range n.Flags {
			if inFlags(flags, f) {
				return nil
			}
		}
	}
	where := flagsNode(app.Node, flags)
	if where == nil {
		return nil // none in the grammar at all: checkFlagsInGrammar's to say
	}
	return fmt.Errorf("Config.Flags (%T) is embedded under %q, which start is not below: start would parse none of its fields, and the serve function would read their zero values; embed it beside cli.Commands (at the root, or in the command that holds cli.Commands), or leave Config.Flags nil",
		flags, strings.TrimSpace(where.FullPath()))
}

// flagsNode is the node below n (or n) that has a flag of flags, nil if none has.
func flagsNode(n *kong.Node, flags any) *kong.Node {
	for _, f := range n.Flags {
		if inFlags(flags, f) {
			return n
		}
	}
	for _, child := range n.Children {
		if found := flagsNode(child, flags); found != nil {
			return found
		}
	}
	return nil
}
