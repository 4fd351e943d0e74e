package instance

import (
	"errors"
	"fmt"
)

// ErrBadName is wrapped by every error of ValidateName.
var ErrBadName = errors.New("invalid instance name")

// maxNameLen is the longest instance name.
const maxNameLen = 64

// ValidateName accepts 1 to 64 letters, digits, '.', '_' and '-', not starting with a dot.
// Such a name is always one plain path element: it can never lead out of its directory nor
// name a hidden file. The error wraps ErrBadName and says what is wrong.
func ValidateName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrBadName)
	case len(name) > maxNameLen:
		return fmt.Errorf("%w %q: longer than %d characters", ErrBadName, name, maxNameLen)
	case name[0] == '.':
		return fmt.Errorf("%w %q: starts with a dot", ErrBadName, name)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !nameChar(c) {
			return fmt.Errorf("%w %q: character %q not allowed (only letters, digits, '.', '_' and '-')", ErrBadName, name, rune(c))
		}
	}
	return nil
}

func nameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == '-'
}
