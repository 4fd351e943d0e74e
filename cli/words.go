package cli

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/kong"
)

// words is a list of strings that JSON carries byte for byte: a program's arguments and
// environment, which may hold bytes that are not UTF-8 (a Latin-1 file name) and must reach
// it as they were given, where encoding/json would make each such byte U+FFFD. A word that
// is UTF-8 is a JSON string, as in a []string, so a record reads as before; any other is
// an object, {"bytes": BASE64}.
type words []string

// Decode takes one word from the command line, as a repeatable flag of strings does
// (Kong would otherwise decode the flag's value as JSON, since words reads JSON).
func (w *words) Decode(ctx *kong.DecodeContext) error {
	if ctx.Scan.Peek().IsEOL() {
		return errNoValue
	}
	t, err := ctx.Scan.PopValue("value") // not PopValueInto, which goes through JSON
	if err != nil {
		return err
	}
	s, ok := t.Value.(string)
	if !ok {
		return fmt.Errorf("want a string, not %v", t.Value)
	}
	*w = append(*w, s)
	return nil
}

// bytesWord is how JSON carries a word that is not UTF-8.
type bytesWord struct {
	Bytes []byte `json:"bytes"`
}

// MarshalJSON writes each word as a string, or as {"bytes": ...} if it is not UTF-8.
func (w words) MarshalJSON() ([]byte, error) {
	if w == nil {
		return []byte("null"), nil
	}
	out := make([]any, len(w))
	for i, s := range w {
		if utf8.ValidString(s) {
			out[i] = s
		} else {
			out[i] = bytesWord{[]byte(s)}
		}
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes, and a plain array of strings.
func (w *words) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if raw == nil {
		*w = nil
		return nil
	}
	out := make(words, len(raw))
	for i, r := range raw {
		if len(r) > 0 && r[0] == '{' {
			var bw bytesWord
			if err := json.Unmarshal(r, &bw); err != nil {
				return fmt.Errorf("word %d: %w", i, err)
			}
			out[i] = string(bw.Bytes)
			continue
		}
		if err := json.Unmarshal(r, &out[i]); err != nil {
			return fmt.Errorf("word %d: %w", i, err)
		}
	}
	*w = out
	return nil
}

// notUTF8Args refuses a word of the command line before -- that is not UTF-8: Kong
// decodes a flag's value through JSON, which makes each such byte U+FFFD, so that a path
// would name another file. --env's values, which are words, and the program's command
// line after -- go through as they are.
func notUTF8Args(args []string) error {
	for i, a := range args {
		if a == "--" {
			return nil
		}
		if utf8.ValidString(a) || strings.HasPrefix(a, "--env=") || i > 0 && args[i-1] == "--env" {
			continue
		}
		return fmt.Errorf("argument %q holds bytes that are not UTF-8, which a flag cannot take as they are (it would name something else): give it in UTF-8; --env values, and the program's own arguments after --, go through as they are", a)
	}
	return nil
}

// notUTF8Env refuses, as notUTF8Args refuses such a flag, a value of the environment
// variables that stand for --state-dir and --log-dir (prefix is Config.envPrefix) that is
// not UTF-8: Kong reads them as it reads the flags, and made each such byte U+FFFD, so
// that every command quietly used another directory than the one named.
func notUTF8Env(prefix string) error {
	for _, name := range []string{prefix + "STATE_DIR", prefix + "LOG_DIR"} {
		if v := os.Getenv(name); !utf8.ValidString(v) {
			return fmt.Errorf("%s=%q holds bytes that are not UTF-8, which cannot be taken as they are (it would name another directory): give it in UTF-8", name, v)
		}
	}
	return nil
}

// notUTF8 names the first string of v (a struct, walked through its fields, slices and
// pointers) that is not UTF-8 and that JSON would change: a path or a name, which the
// request and the record keep as JSON strings. Words are left out: they go through whole.
func notUTF8(v any) error {
	return walkNotUTF8(reflect.ValueOf(v), "")
}

var (
	wordsType = reflect.TypeFor[words]()
	rawType   = reflect.TypeFor[json.RawMessage]()
)

func walkNotUTF8(v reflect.Value, at string) error {
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); !utf8.ValidString(s) {
			return fmt.Errorf("the request's %s, %q, holds bytes that are not UTF-8, which the instance's record cannot keep: give paths and names in UTF-8 (for the working directory, start from another one)", at, s)
		}
	case reflect.Pointer:
		if !v.IsNil() {
			return walkNotUTF8(v.Elem(), at)
		}
	case reflect.Slice:
		if v.Type() == wordsType || v.Type() == rawType {
			return nil
		}
		for i := range v.Len() {
			if err := walkNotUTF8(v.Index(i), at); err != nil {
				return err
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			name := at
			if !f.Anonymous {
				name, _, _ = strings.Cut(f.Tag.Get("json"), ",")
				name = cmp.Or(name, f.Name)
			}
			if err := walkNotUTF8(v.Field(i), name); err != nil {
				return err
			}
		}
	}
	return nil
}
