package cli

import (
	"reflect"
	"time"

	"github.com/alecthomas/kong"
)

// startDirBound reports whether a restart of cfg's instance needs the directory start was
// typed in, where it recorded program flags (checkCwd): the daemon of a program that
// parses its own grammar again (one that calls Init, then the flag package, Kong or
// cobra, then Run or the Kong commands) parses it there, and a relative path of its own
// (-config app.conf) means what it meant there alone, whatever Config.Flags holds, which
// is not all of its grammar. Main's daemon parses nothing of the program's: only flags of
// Config.Flags that Kong reads as it decodes them need it (flagsReadWhereParsed).
func startDirBound(cfg Config) bool {
	return !cfg.ownsProcess || flagsReadWhereParsed(cfg)
}

// flagsReadWhereParsed reports whether the program's own flags (cfg.Flags) may mean
// something else parsed in another directory than the one start was typed in, as the
// daemon of a restart parses them where that directory is gone: a flag Kong resolves or
// reads as it parses (type:"path", "existingfile", "existingdir", "filecontent"), or one
// of a type Kong has no mapper of its own for, whose decoding it cannot see into. The
// recorded values are put back over what is parsed (restoreProgramFlags), so a string, a
// number or a duration means the same wherever it is parsed: daemonkit's own flags, an
// address and a duration, are such. A model that cannot be read counts as one that may.
func flagsReadWhereParsed(cfg Config) bool {
	if cfg.Flags == nil {
		return false
	}
	k, err := kong.New(cfg.Flags, kong.Vars(cfg.vars()))
	if err != nil {
		return true
	}
	kctx, err := kong.Trace(k, nil)
	if err != nil {
		return true
	}
	for _, f := range kctx.Flags() {
		if f.Name == "help" { // Kong's own, which the model gets
			continue
		}
		switch f.Tag.Type {
		case "path", "existingfile", "existingdir", "filecontent":
			return true
		}
		if f.Target.IsValid() && !plainKind(f.Target.Type()) {
			return true
		}
	}
	return false
}

// plainKind reports whether t is a value Kong decodes from the words alone: a bool, a
// number, a string, a time.Duration, or a slice or map of them.
func plainKind(t reflect.Type) bool {
	if t == reflect.TypeOf(time.Duration(0)) {
		return true
	}
	if t.PkgPath() != "" { // a named type of a package (net.IP too): it may decode itself
		return false
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array, reflect.Pointer:
		return plainKind(t.Elem())
	case reflect.Map:
		return plainKind(t.Key()) && plainKind(t.Elem())
	case reflect.Bool, reflect.String, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}
