package cli

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/alecthomas/kong"
)

// checkGrammarClashes says which flags of a program's own Kong grammar, app, share a word
// (a name, alias, short or negation) with a flag of one of daemonkit's commands, cmds,
// below them: a root flag of the program's is every command's, and Kong gives such a word
// to the program's flag, so a root flag Name would make 'stop --name web' stop the default
// instance, and a root flag with short:"d" would make 'start -d' run in the foreground.
// Kong itself refuses the clash only when the program's flag comes before cli.Commands in
// its struct (it checks a flag against those built before it); this sees both orders.
// The flags of Config.Flags, flags, are left to checkFlagClashes, which names them so.
func checkGrammarClashes(app *kong.Application, cmds *Commands, flags any) error {
	strct := reflect.ValueOf(cmds).Elem()
	begin := strct.UnsafeAddr()
	end := begin + strct.Type().Size()
	ours := func(v reflect.Value) bool { // inside *cmds, and not a struct of the program's that holds it
		if !v.IsValid() || !v.CanAddr() || v.UnsafeAddr() < begin || v.UnsafeAddr()+v.Type().Size() > end {
			return false
		}
		return v.Type() == strct.Type() || v.Type().Size() < end-begin
	}
	type owned struct {
		flag  *kong.Flag
		field string // the field that declares it, "grammar.Name"
	}
	var msgs []string
	seen := map[string]bool{}
	var visit func(n *kong.Node, above []owned)
	visit = func(n *kong.Node, above []owned) {
		if n.Type == kong.CommandNode && ours(n.Target) {
			clash := map[int][]string{} // index into above: the words it takes over
			for _, f := range n.Flags {
				for _, w := range flagWordsOf(f) {
					for i, o := range above {
						if slices.Contains(flagWordsOf(o.flag), w) && !slices.Contains(clash[i], w) {
							clash[i] = append(clash[i], w)
						}
					}
				}
			}
			for i, o := range above {
				for _, w := range clash[i] {
					key := o.field + " " + w
					if seen[key] {
						continue
					}
					seen[key] = true
					msgs = append(msgs, fmt.Sprintf("%s: its %s is already a flag of daemonkit's %s, which it would take over: %s",
						o.field, w, commandsWith(n.Parent, w, ours), clashFix(w)))
				}
			}
			return
		}
		for _, f := range n.Flags {
			if f != app.HelpFlag && !ours(f.Target) && !inFlags(flags, f) {
				above = append(above, owned{f, fieldName(n, f.Target)})
			}
		}
		for _, child := range n.Children {
			visit(child, slices.Clip(above))
		}
	}
	visit(app.Node, nil)
	if len(msgs) > 0 {
		return errors.New(strings.Join(msgs, "; "))
	}
	return nil
}

// commandsWith names daemonkit's commands that have a flag word w, "start, stop": those
// of parent, the node that holds them (the root, or a command of the program's).
func commandsWith(parent *kong.Node, w string, ours func(reflect.Value) bool) string {
	var names []string
	for _, n := range parent.Children {
		if n.Type != kong.CommandNode || !ours(n.Target) {
			continue
		}
		for _, f := range n.Flags {
			if slices.Contains(flagWordsOf(f), w) {
				names = append(names, n.Name)
				break
			}
		}
	}
	return strings.Join(names, ", ")
}

// clashFix is what to change in a flag whose word w clashes.
func clashFix(w string) string {
	if strings.HasPrefix(w, "--") {
		return `rename the field or give it a name:"..." tag`
	}
	return `give it another short:"..." tag, or none`
}

// fieldName is "Type.Field" for the field of n's struct that target is, "app daemon's
// Field" if that struct's type has no name (an anonymous struct), or the flag's target
// type if it cannot be told.
func fieldName(n *kong.Node, target reflect.Value) string {
	strct := n.Target
	if !strct.IsValid() || strct.Kind() != reflect.Struct || !target.CanAddr() {
		return target.Type().String()
	}
	if strct.Type().Name() == "" {
		return n.FullPath() + "'s " + fieldPath(strct, target)
	}
	return strct.Type().Name() + "." + fieldPath(strct, target)
}

// inFlags says whether f is one of the flags of Config.Flags, flags (nil, or a pointer to
// a struct).
func inFlags(flags any, f *kong.Flag) bool {
	v := reflect.ValueOf(flags)
	if flags == nil || v.Kind() != reflect.Pointer || v.IsNil() || !f.Target.CanAddr() {
		return false
	}
	begin := v.Pointer()
	return begin <= f.Target.UnsafeAddr() && f.Target.UnsafeAddr() < begin+v.Elem().Type().Size()
}
