package instance

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrBadName is wrapped by every error of ValidateName.
var ErrBadName = errors.New("invalid instance name")

// maxNameLen is the longest instance name.
const maxNameLen = 64

// ValidateName accepts 1 to 64 letters, digits, '.', '_' and '-' (ASCII, so characters
// and bytes are the same count), not starting with a dot. Such a name is always one plain
// path element: it can never lead out of its directory nor name a hidden file. The error
// wraps ErrBadName and says what is wrong: the first character not allowed, as the
// character it is (not one of its bytes), or bytes that are not valid UTF-8.
func ValidateName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrBadName)
	case name[0] == '.':
		return fmt.Errorf("%w %q: starts with a dot", ErrBadName, name)
	}
	for i, r := range name {
		if r < utf8.RuneSelf && nameChar(byte(r)) {
			continue
		}
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(name[i:]); size == 1 {
				return fmt.Errorf("%w %q: byte %#02x at offset %d is not valid UTF-8 (only letters, digits, '.', '_' and '-')", ErrBadName, name, name[i], i)
			}
		}
		return fmt.Errorf("%w %q: character %q not allowed (only letters, digits, '.', '_' and '-')", ErrBadName, name, r)
	}
	if len(name) > maxNameLen { // every character is one byte here
		return fmt.Errorf("%w %q: %d characters, longer than %d", ErrBadName, name, len(name), maxNameLen)
	}
	return nil
}

// ValidateNewName is ValidateName for the name of an instance about to be made (start,
// unit, a program's default name): it refuses too a name that starts with a dash, which
// reads as a flag, so that every command reaches the instance by "--name NAME" and "-n
// NAME" as by "--name=NAME". An instance an older release started with such a name stays
// valid for ValidateName, so that list shows it and stop, given --name=NAME, reaches it.
func ValidateNewName(name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if name[0] == '-' {
		return fmt.Errorf("%w %q: starts with a dash, which reads as a flag (stop -n %s would not reach it): give a name that starts with a letter, a digit or '_'", ErrBadName, name, name)
	}
	return nil
}

// nameChar says whether the ASCII character c may be in a name.
func nameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == '-'
}
