package random

import (
	"bytes"
	"testing"
)

// TestRead: a request past 256 bytes (where getrandom may return short) is filled to the
// end, two draws differ, and the /dev/urandom fallback fills its buffer too.
func TestRead(t *testing.T) {
	for name, fill := range map[string]func([]byte) error{"getrandom": Read, "urandom": readURandom} {
		a, b := make([]byte, 4096), make([]byte, 4096)
		if err := fill(a); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := fill(b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// The last 64 bytes all zero, or two equal draws, have odds of 2^-512 or less.
		if bytes.Equal(a, b) || bytes.Contains(a[len(a)-64:], make([]byte, 64)) {
			t.Errorf("%s: not random, or not filled to the end", name)
		}
	}
}
