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

// TestValidateNameSays: the error names the character that is not allowed as the
// character it is (not its first byte), says so of bytes that are not UTF-8, and counts the
// characters of a name that is too long.
func TestValidateNameSays(t *testing.T) {
	for _, tc := range []struct {
		name, want string
	}{
		{"ünï", `invalid instance name "ünï": character 'ü' not allowed`},
		{"web-é", `invalid instance name "web-é": character 'é' not allowed`},
		{"a\x00b", `invalid instance name "a\x00b": character '\x00' not allowed`},
		{"日本", `invalid instance name "日本": character '日' not allowed`},
		{"ab\xffc", `invalid instance name "ab\xffc": byte 0xff at offset 2 is not valid UTF-8`},
		{"\xc3", `invalid instance name "\xc3": byte 0xc3 at offset 0 is not valid UTF-8`},
		{strings.Repeat("x", 65), `: 65 characters, longer than 64`},
		{strings.Repeat("é", 40), `character 'é' not allowed`}, // 80 bytes, 40 characters: not "too long"
	} {
		err := ValidateName(tc.name)
		if !errors.Is(err, ErrBadName) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ValidateName(%q) = %v, want it to say %q", tc.name, err, tc.want)
		}
	}
}

// TestValidateNewName: a new instance's name may not start with a dash, which reads as a
// flag, though ValidateName takes it (an older release's instance); the rest is as
// ValidateName has it.
func TestValidateNewName(t *testing.T) {
	for name, want := range map[string]string{
		"-dash":   `invalid instance name "-dash": starts with a dash, which reads as a flag`,
		"-1":      `give a name that starts with a letter, a digit or '_'`,
		".hidden": `starts with a dot`,
		"":        `empty`,
	} {
		if err := ValidateNewName(name); !errors.Is(err, ErrBadName) || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateNewName(%q) = %v, want it to say %q", name, err, want)
		}
	}
	for _, name := range []string{"web", "a-", "_x", "1", "x.y-z"} {
		if err := ValidateNewName(name); err != nil {
			t.Errorf("ValidateNewName(%q) = %v, want nil", name, err)
		}
	}
}
