package cli

import (
	"encoding"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"

	"github.com/alecthomas/kong"
)

// negativeNumbers is the option that lets a flag that takes a number (an integer, a float, a
// duration, logs' line count, --umask) be given a negative one as the next word, as
// "--timeout -5s" or "-n -1", and --signal a signal as kill takes it, "-9" or "-TERM": Kong
// reads a word that begins with a dash as a flag, and said only "expected value value but
// got "-1" (short flag)". Taken as the value, it reaches the flag's own check, which names
// the flag and the value and says what it wants. Any other word that begins with a dash,
// after such a flag, is said to be a flag where its value was missing, where Kong advised
// giving it as the value ("perhaps try --lines="--name"?"). A flag that takes a string is
// left as Kong has it: "--name -1" would otherwise name an instance "-1".
func negativeNumbers() kong.Option {
	return kong.OptionFunc(func(k *kong.Kong) error {
		defaults := kong.NewRegistry().RegisterDefaults()
		for _, v := range []any{int(0), int8(0), int16(0), int32(0), int64(0), uint(0), uint8(0), uint16(0), uint32(0), uint64(0), float32(0), float64(0)} {
			t := reflect.TypeOf(v)
			if err := kong.KindMapper(t.Kind(), dashValue(defaults.ForType(t), isNegativeNumber)).Apply(k); err != nil {
				return err
			}
		}
		for _, t := range []reflect.Type{reflect.TypeOf(time.Duration(0)), reflect.TypeOf(lineCount{}), reflect.TypeOf(umask(0))} {
			if err := kong.TypeMapper(t, dashValue(defaults.ForType(t), isNegativeNumber)).Apply(k); err != nil {
				return err
			}
		}
		t := reflect.TypeOf(signalName(0))
		if err := kong.TypeMapper(t, dashValue(defaults.ForType(t), isKillSignal)).Apply(k); err != nil {
			return err
		}
		if err := kong.KindMapper(reflect.Bool, switchValue{defaults.ForType(reflect.TypeOf(false))}).Apply(k); err != nil {
			return err
		}
		return kong.KindMapper(reflect.String, lastValue(defaults.ForType(reflect.TypeOf("")))).Apply(k)
	})
}

// switchValue is mapper, a switch's (-d, logs' -f), with a value given after = to its
// short name taken as its long name takes one: "-d=false" is "--detach=false", as pflag
// (cobra) takes it, where Kong read "=false" as more short flags and said "unknown flag
// -=". A value the long name would refuse is refused with the flag's short and long names
// and both ways to give it.
type switchValue struct{ mapper kong.Mapper }

// Decode sets target from the value after -X=, if given so, else as mapper does.
func (m switchValue) Decode(ctx *kong.DecodeContext, target reflect.Value) error {
	if !shortEquals(ctx) {
		return m.mapper.Decode(ctx, target)
	}
	word, _ := ctx.Scan.Pop().Value.(string)
	switch strings.ToLower(word) {
	case "true", "1", "yes":
		target.SetBool(true)
	case "false", "0", "no":
		target.SetBool(false)
	default:
		short, long := "-"+string(ctx.Value.Flag.Short), "--"+ctx.Value.Name
		return fmt.Errorf("%s=%s: want true or false after =; or give %s alone to set it, %s=false to unset it", short, word, short, long)
	}
	return nil
}

// IsBool says that a switch is given without a value, as Kong wants of its mapper.
func (switchValue) IsBool() bool { return true }

// errNoValue is a flag that takes a value given last, where Kong said "expected string
// value but got "EOL" (<EOL>)".
var errNoValue = errors.New("no value after it: give one (an unset shell variable, unquoted, gives none)")

// lastValue is mapper, with a flag given last, without its value, said so (errNoValue),
// and a short flag's value given after = taken as the value (shortEquals).
func lastValue(mapper kong.Mapper) kong.MapperFunc {
	return func(ctx *kong.DecodeContext, target reflect.Value) error {
		if ctx.Scan.Peek().IsEOL() {
			return errNoValue
		}
		shortEquals(ctx)
		return mapper.Decode(ctx, target)
	}
}

// shortEquals takes a short flag's value given after =, "-n=web" or "logs -n=5", for the
// value, "web" or "5", as a long flag's is and as pflag (cobra) takes it: Kong read it as
// "=web", which was said to be no valid name or line count. No value of daemonkit's starts
// with =. It says whether the value was given so: the next token is then that value.
func shortEquals(ctx *kong.DecodeContext) bool {
	t := ctx.Scan.Peek()
	v, ok := t.Value.(string)
	if !ok || t.Type != kong.ShortFlagTailToken || !strings.HasPrefix(v, "=") {
		return false
	}
	ctx.Scan.Pop()
	ctx.Scan.PushTyped(v[1:], kong.ShortFlagTailToken)
	return true
}

// dashValue is mapper, with a next word that begins with a dash taken for the value when
// takes says so, and refused as a missing value otherwise, as is no next word at all
// (errNoValue); a short flag's value given after = taken as the value (shortEquals); and
// a value out of range said so: a negative one for a flag that takes 0 or more
// (--limit-nofile -1), a whole number too large for its flag's type or no whole number
// (--max-restarts 99999999999999999999: wantWholeNumber), a duration too long for one
// (--ready-timeout 99999999h), where Kong said "expected a valid 64 bit uint" or "invalid
// duration".
func dashValue(mapper kong.Mapper, takes func(string) bool) kong.MapperFunc {
	return func(ctx *kong.DecodeContext, target reflect.Value) error {
		if ctx.Scan.Peek().IsEOL() {
			return errNoValue
		}
		shortEquals(ctx)
		word, _ := ctx.Scan.Peek().Value.(string)
		if t := ctx.Scan.Peek(); t.Type == kong.UntypedToken && strings.HasPrefix(word, "-") {
			if !takes(word) {
				return fmt.Errorf("no value: the next word, %s, is a flag; give the value right after the flag", word)
			}
			ctx.Scan.Pop()
			ctx.Scan.PushTyped(word, kong.FlagValueToken)
		}
		err := mapper.Decode(ctx, target)
		switch kind := target.Kind(); {
		case err == nil:
		case kind >= reflect.Uint && kind <= reflect.Uint64 && isNegativeNumber(word):
			return fmt.Errorf("%s: want a whole number, 0 or more", word)
		case target.Type() == reflect.TypeOf(time.Duration(0)):
			if durationTooLong(word) {
				return fmt.Errorf("%s: too long for a duration, which is at most %dh", word, math.MaxInt64/int64(time.Hour))
			}
		case kind >= reflect.Int && kind <= reflect.Uint64 && !reflect.PointerTo(target.Type()).Implements(textUnmarshaler):
			return wantWholeNumber(ctx, target.Type(), word) // not --umask's, which says what it wants
		}
		return err
	}
}

// textUnmarshaler is the type of a flag's value that parses itself (--umask's), whose error
// says what it wants.
var textUnmarshaler = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()

// isWholeNumber says whether word is a decimal whole number, with or without a sign.
func isWholeNumber(word string) bool {
	digits := strings.TrimLeft(word, "+-")
	return digits != "" && len(word)-len(digits) <= 1 && strings.Trim(digits, "0123456789") == ""
}

// wantWholeNumber is the error for word, given to a flag of t, an integer type, which is
// no whole number or one too large (or too small) for t, where Kong said "expected a valid
// 64 bit int": it names the range, from the flag's min:"N" tag, if any, else the type's
// least, to the type's most, and then what its outofrange:"..." tag says to do instead,
// if any. A word that is no number, given to a flag with neither tag (a program's own,
// whose range its program alone knows), is told only that; one with a leading 0 and an 8
// or a 9, that Kong reads it as octal.
func wantWholeNumber(ctx *kong.DecodeContext, t reflect.Type, word string) error {
	digits := strings.TrimLeft(word, "+-")
	if isWholeNumber(word) && len(digits) > 1 && digits[0] == '0' {
		return fmt.Errorf("%s: a leading 0 makes a number octal, which %s is not: write it without the 0", word, word)
	}
	tagged := ctx.Value != nil && (ctx.Value.Tag.Get("min") != "" || ctx.Value.Tag.Get("outofrange") != "")
	if !isWholeNumber(word) && !tagged {
		return fmt.Errorf("%q is not a whole number", word)
	}
	var least, most string
	if t.Kind() >= reflect.Uint {
		least, most = "0", fmt.Sprint(uint64(math.MaxUint64)>>(64-t.Bits()))
	} else {
		least, most = fmt.Sprint(int64(-1)<<(t.Bits()-1)), fmt.Sprint(int64(math.MaxInt64)>>(64-t.Bits()))
	}
	if ctx.Value != nil && ctx.Value.Tag.Get("min") != "" {
		least = ctx.Value.Tag.Get("min")
	}
	what := fmt.Sprintf("%q is not a whole number", word)
	if isWholeNumber(word) {
		what = word + " is out of range"
	}
	if ctx.Value != nil && ctx.Value.Tag.Get("outofrange") != "" {
		return fmt.Errorf("%s: want a whole number from %s to %s; %s", what, least, most, ctx.Value.Tag.Get("outofrange"))
	}
	return fmt.Errorf("%s: want a whole number from %s to %s", what, least, most)
}

// durationTooLong says whether word is a duration time.ParseDuration refuses for its size
// alone: with each of its numbers made 1, it parses.
func durationTooLong(word string) bool {
	if _, err := time.ParseDuration(word); err == nil {
		return false
	}
	var small strings.Builder
	inNumber := false
	for _, r := range word {
		digit := r >= '0' && r <= '9' || r == '.'
		if digit && !inNumber {
			small.WriteByte('1')
		} else if !digit {
			small.WriteRune(r)
		}
		inNumber = digit
	}
	_, err := time.ParseDuration(small.String())
	return err == nil
}

// isKillSignal says whether word is a signal as kill takes it, a dash and its number or
// name: "-9", "-TERM", "-RTMIN+1", or a name it knows in any case, "-term". Another word
// with a dash ("-n") is a flag.
func isKillSignal(word string) bool {
	rest, ok := strings.CutPrefix(word, "-")
	if !ok || rest == "" {
		return false
	}
	if strings.Trim(rest, "0123456789") == "" {
		return true
	}
	if strings.Trim(rest, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-") == "" {
		return true // as kill writes one: -RTMIN+1, -CLD
	}
	name := strings.TrimPrefix(strings.ToUpper(rest), "SIG")
	_, known := signalsByName[name]
	_, programs := programOnlySignals[name]
	return known || programs
}

// isNegativeNumber says whether word is a minus and a number or duration: "-1", "-5s", "-.5s".
func isNegativeNumber(word string) bool {
	return len(word) > 1 && word[0] == '-' && (word[1] >= '0' && word[1] <= '9' || word[1] == '.')
}
