package instance

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"ok-name_1.2", true},
		{"server", true},
		{"a", true},
		{"-dash", true},
		{strings.Repeat("x", 64), true},
		{strings.Repeat("x", 65), false},
		{"", false},
		{"../x", false},
		{"..", false},
		{".", false},
		{".hidden", false},
		{"a/b", false},
		{"a b", false},
		{"a\x00b", false},
		{"é", false},
		{"a\\b", false},
	} {
		err := ValidateName(tc.name)
		if tc.ok && err != nil {
			t.Errorf("ValidateName(%q) = %v, want nil", tc.name, err)
		}
		if !tc.ok && !errors.Is(err, ErrBadName) {
			t.Errorf("ValidateName(%q) = %v, want ErrBadName", tc.name, err)
		}
	}
}
