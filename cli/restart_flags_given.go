package cli

import (
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"unsafe"

	"github.com/alecthomas/kong"
)

// givenFlag is one of the program's own flags (Config.Flags) given on restart's command
// line: its name, and where its field is in Config.Flags.
type givenFlag struct {
	name   string
	offset uintptr
	typ    reflect.Type
}

// programFlagsOfRestart keeps, in r, the program's own flags (Config.Flags) given to
// restart, which reads none: it starts the instance with the options it was started with.
// Each is compared with the recorded value once the record is read (checkGivenFlags): a
// Kong program whose Config.Flags holds a required flag gives it to every command, and a
// script may give a global one before every command. Other commands ignore them, as
// their help says.
func programFlagsOfRestart(kctx *kong.Context, flags any, r *RestartCmd) {
	if flags == nil || kctx.Selected() == nil || kctx.Selected().Name != "restart" {
		return
	}
	begin := reflect.ValueOf(flags).Pointer()
	r.given = nil
	for _, el := range kctx.Path {
		if el.Flag != nil && isProgramFlag(flags, el.Flag) {
			r.given = append(r.given, givenFlag{name: typedFlagName(el.Flag), offset: el.Flag.Target.UnsafeAddr() - begin, typ: el.Flag.Target.Type()})
		}
	}
}

// typedFlagName is f's name as it was typed, without its dashes: a negatable flag given
// as --no-verbose (or its own negation's name) is named so, not --verbose, in what
// restart says of it.
func typedFlagName(f *kong.Flag) string {
	switch {
	case !f.Negated || f.Tag == nil || f.Tag.Negatable == "":
		return f.Name
	case f.Tag.Negatable == "_":
		return "no-" + f.Name
	}
	return f.Tag.Negatable
}

// checkGivenFlags refuses, as a usage error, a program's own flag given to the restart
// of req whose value differs from the one req recorded (flags, Config.Flags as parsed
// now): restart would ignore it. One equal to the recorded value changes nothing, and
// passes; so does one the record has no value for (a field an embedder added since, a
// record of an older build, one with no flags at all): there is nothing to compare it
// with, and its zero value is no value the instance was started with.
func checkGivenFlags(app *App, req *request, given []givenFlag) error {
	flags := app.Config.Flags
	if len(given) == 0 || flags == nil {
		return nil
	}
	own := reflect.ValueOf(flags)
	recorded := reflect.New(own.Elem().Type())
	supervised := req.Supervise != nil
	if !supervised && hasProgramFlags(req.Flags) && json.Unmarshal(req.Flags, recorded.Interface()) != nil {
		supervised = true // a record of another shape: nothing to compare with
	}
	for _, g := range given {
		if !supervised && !recordedHas(req.Flags, own.Elem().Type(), g.offset, g.typ) {
			continue
		}
		now := reflect.NewAt(g.typ, unsafe.Add(own.UnsafePointer(), g.offset)).Elem()
		then := reflect.NewAt(g.typ, unsafe.Add(recorded.UnsafePointer(), g.offset)).Elem()
		a, errA := json.Marshal(now.Interface())
		b, errB := json.Marshal(then.Interface()) // not shown: a flag's value may be a secret
		if !supervised && errA == nil && errB == nil && jsonEqual(a, b) {
			continue
		}
		given := "--" + g.name
		if g.typ.Kind() != reflect.Bool {
			given += " ..."
		}
		if req.Supervise != nil {
			return withCode(exitUsage, fmt.Errorf("--%s is not restart's: %s runs a program of its own (-- PROG), which %s's own flags do not configure: leave --%s out",
				g.name, req.Name, app.Config.Name, g.name))
		}
		return withCode(exitUsage, fmt.Errorf("--%s is not restart's, and differs from the value %s was started with: restart %s",
			g.name, req.Name, restartKeeps(app.commandLead, app.nameReaching(req.Name, req.PIDFile), "options", given)))
	}
	return nil
}

// recordedHas says whether raw, a record's flags as JSON (encoding/json's encoding of a
// struct of type t), holds a value for t's field of type typ at offset off: what
// recordedField tells the daemon of the same record, for a struct of t made here.
func recordedHas(raw json.RawMessage, t reflect.Type, off uintptr, typ reflect.Type) bool {
	var keys map[string]json.RawMessage
	if t.Kind() != reflect.Struct || off+typ.Size() > t.Size() || json.Unmarshal(raw, &keys) != nil || keys == nil {
		return false
	}
	root := reflect.New(t).Elem()
	target := reflect.NewAt(typ, unsafe.Add(root.Addr().UnsafePointer(), off)).Elem()
	return recordedField(root, target, keys)
}

// checkGivenFlagsAll is checkGivenFlags for each instance restart --all would restart,
// before any is stopped: one usage error (exit 2, as for one instance) that names every
// instance that refuses them, rather than one failure for each, exit 1, with the others
// restarted. An instance whose record cannot be read is left to its own restart to report.
func checkGivenFlagsAll(app *App, given []givenFlag) error {
	if len(given) == 0 || app.Config.Flags == nil {
		return nil
	}
	names, _, err := app.instanceNames()
	if err != nil {
		return nil // restart --all reports it
	}
	var first error
	var refused []string
	for _, name := range names {
		flags := InstanceFlags{Name: name}
		paths, err := flags.paths(app, "", false)
		if err != nil {
			continue
		}
		_, req, _, err := recordedRequest(app, paths)
		if err != nil {
			continue
		}
		if err := checkGivenFlags(app, req, given); err != nil {
			first = cmp.Or(first, err)
			refused = append(refused, name)
		}
	}
	switch {
	case first == nil:
		return nil
	case len(refused) == 1:
		return withCode(exitUsage, fmt.Errorf("restart --all: %w; nothing was stopped", first))
	}
	return withCode(exitUsage, fmt.Errorf("restart --all: %w; also refused for %s; nothing was stopped",
		first, strings.Join(refused[1:], ", ")))
}
