package cli

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// checkFlagsShape refuses, in Config.Flags' struct type t, a field Kong would make a
// command (cmd) or a positional argument (arg): Config.Flags holds flags only, global to
// every command. A command there would be shadowed by daemonkit's of the same name, or
// fail for want of a Run method; an argument would be "unexpected" on every command.
func checkFlagsShape(t reflect.Type, path string) error {
	for i := range t.NumField() {
		f := t.Field(i)
		name := strings.TrimPrefix(path+"."+f.Name, ".")
		tag := string(f.Tag)
		switch {
		case hasKongKey(tag, "cmd"):
			return fmt.Errorf("Config.Flags field %s is a command (cmd tag): Config.Flags holds the program's flags only; add commands the Kong way (cli.Init and KongOptions, see docs/embedding.md)", name)
		case hasKongKey(tag, "arg"):
			return fmt.Errorf("Config.Flags field %s is a positional argument (arg tag): Config.Flags holds the program's flags only, which every command shares; make it a flag", name)
		}
		if f.Type.Kind() == reflect.Struct && (f.Anonymous || hasKongKey(tag, "embed")) {
			if err := checkFlagsShape(f.Type, name); err != nil {
				return err
			}
		}
	}
	return nil
}

// hasKongKey reports whether a struct tag gives Kong's key: as a tag of its own (cmd:"")
// or in a kong:"..." tag (kong:"cmd,help='...'").
func hasKongKey(tag, key string) bool {
	if _, ok := reflect.StructTag(tag).Lookup(key); ok {
		return true
	}
	if kong, ok := reflect.StructTag(tag).Lookup("kong"); ok {
		for _, part := range strings.Split(kong, ",") {
			if k, _, _ := strings.Cut(strings.TrimSpace(part), "="); k == key {
				return true
			}
		}
	}
	return false
}

// checkFlagsSurviveJSON refuses program flags (a pointer to a struct) whose values, as
// parsed, do not come back from encoding/json, which carries them to the daemon: a field
// tagged json:"-", or of a type JSON cannot hold (Kong's *os.File arrives as a zero File,
// whose first read panics). Each field is compared after the round trip; it names the
// first that differs.
func checkFlagsSurviveJSON(flags any) error {
	b, err := json.Marshal(flags)
	if err != nil {
		return fmt.Errorf("Config.Flags cannot be carried to the daemon as JSON: %w", err)
	}
	orig := reflect.ValueOf(flags).Elem()
	back := reflect.New(orig.Type())
	if err := json.Unmarshal(b, back.Interface()); err != nil {
		return fmt.Errorf("Config.Flags does not come back from JSON: %w", err)
	}
	if name := firstDifference(orig, back.Elem(), ""); name != "" {
		return fmt.Errorf("Config.Flags field %s does not survive encoding/json, which carries the flags to the daemon: give it a type JSON can hold (a string path rather than *os.File), without a json:\"-\" tag", name)
	}
	return nil
}

// firstDifference names the first exported field of a and b (values of one struct type)
// that differs, "" if none.
func firstDifference(a, b reflect.Value, path string) string {
	t := a.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := strings.TrimPrefix(path+"."+f.Name, ".")
		if f.Type.Kind() == reflect.Struct && f.Anonymous {
			if inner := firstDifference(a.Field(i), b.Field(i), name); inner != "" {
				return inner
			}
			continue
		}
		if !reflect.DeepEqual(a.Field(i).Interface(), b.Field(i).Interface()) {
			return name
		}
	}
	return ""
}
