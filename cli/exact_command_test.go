package cli

import (
	"encoding/json"
	"testing"
)

// TestAsJSONIsWhatJSONKeeps checks asJSON against encoding/json itself: exactCommand
// matches the record's words, which encoding/json wrote, with it.
func TestAsJSONIsWhatJSONKeeps(t *testing.T) {
	for _, s := range []string{"", "plain", "caf\xe9", "a\xff\xfeb", "\xe2\x82", "é\x80ü", "\xf0\x9f\x98"} {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var kept string
		if err := json.Unmarshal(b, &kept); err != nil {
			t.Fatal(err)
		}
		if got := asJSON(s); got != kept {
			t.Errorf("asJSON(%q) = %q, encoding/json keeps %q", s, got, kept)
		}
	}
}
