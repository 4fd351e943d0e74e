package instance

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzValidateName checks ValidateName against a model of the rule it documents (1 to 64
// bytes of letters, digits, '.', '_' and '-', not starting with a dot), and that what it
// accepts is always one plain, visible path element that stays inside its directory. Its
// error always wraps ErrBadName, and is never empty.
func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"server", "web-1", "a", "-x", "_", "x.y", ".", "..", "../etc", "a/b", ".hidden",
		"", strings.Repeat("n", 64), strings.Repeat("n", 65), "é", "a\x00b", "a b", "a\nb", "a\\b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := ValidateName(name)
		if want := modelName(name); (err == nil) != want {
			t.Fatalf("ValidateName(%q) = %v; the documented rule says valid=%v", name, err, want)
		}
		if err != nil {
			if !errors.Is(err, ErrBadName) || err.Error() == "" {
				t.Fatalf("ValidateName(%q) = %v, which does not wrap ErrBadName", name, err)
			}
			return
		}
		// Accepted: one plain element, the same after cleaning, not hidden, not "." or "..",
		// and joined to a directory it stays there.
		dir := "/run/daemonkit"
		p := filepath.Join(dir, name+".pid")
		switch {
		case filepath.Base(name) != name, filepath.Clean(name) != name, name == ".", name == "..",
			strings.HasPrefix(name, "."), filepath.Dir(p) != dir, strings.ContainsAny(name, "/\\\x00 \t\n"):
			t.Fatalf("ValidateName accepted %q, which is not one plain path element", name)
		}
	})
}

// modelName is the rule ValidateName documents, written out independently.
func modelName(name string) bool {
	if len(name) < 1 || len(name) > 64 || name[0] == '.' {
		return false
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}
