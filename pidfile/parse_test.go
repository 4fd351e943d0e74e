package pidfile

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestParsePID(t *testing.T) {
	max := pidMax()
	for _, c := range []struct {
		in   string
		want int
	}{
		{"2", 2},
		{"2\n", 2},
		{"10\n", 10},
		{"12345\n", 12345},
		{strconv.Itoa(max), max},
		{strconv.Itoa(max) + "\n", max},
	} {
		got, err := ParsePID([]byte(c.in))
		if err != nil || got != c.want {
			t.Errorf("ParsePID(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, c := range hostile() {
		got, err := ParsePID([]byte(c.content))
		if got != 0 || !errors.Is(err, ErrBadContent) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: ParsePID(%q) = %d, %v; want an error saying %q", c.name, c.content, got, err, c.want)
		}
		if empty := c.content == ""; errors.Is(err, ErrNoContent) != empty {
			t.Errorf("%s: ParsePID(%q) = %v: ErrNoContent %v, want %v", c.name, c.content, err, !empty, empty)
		}
	}
}

func TestPidMax(t *testing.T) {
	if m := pidMax(); m < 2 || m > 1<<30 {
		t.Fatalf("pidMax() = %d", m)
	}
}

// FuzzParsePID checks that whatever ParsePID accepts is a pid in range written exactly
// as strconv.Itoa writes it, with at most one newline after it.
func FuzzParsePID(f *testing.F) {
	f.Add([]byte(strconv.Itoa(pidMax())))
	f.Add([]byte(strconv.Itoa(pidMax()+1) + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := ParsePID(b)
		if err != nil {
			if v != 0 || !errors.Is(err, ErrBadContent) {
				t.Fatalf("ParsePID(%q) = %d, %v", b, v, err)
			}
			return
		}
		if v < 1 || v > pidMax() {
			t.Fatalf("ParsePID(%q) = %d, out of [1, %d]", b, v, pidMax())
		}
		if s := strconv.Itoa(v); string(b) != s && string(b) != s+"\n" {
			t.Fatalf("ParsePID(%q) = %d, but the input is not its decimal form", b, v)
		}
	})
}
