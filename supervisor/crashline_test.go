package supervisor

import (
	"bytes"
	"strings"
	"sync/atomic"
	"testing"
)

// TestCrashWatch: the last line that begins as a Go crash does is kept, whatever write it
// comes in, and everything is passed on as it was; a line that only holds such words, or
// is indented (a nested panic's), is not one.
func TestCrashWatch(t *testing.T) {
	for _, tc := range []struct {
		name   string
		writes []string
		want   string
	}{
		{"none", []string{"up\n", "a panic: that is no crash\n", "\tpanic: nested\n"}, ""},
		{"panic first", []string{"panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n"}, "panic: boom"},
		{"panic after lines", []string{"up\n", "serving\npanic: assignment to entry in nil map\n\ngoroutine 7 [running]:\n"}, "panic: assignment to entry in nil map"},
		{"fatal error", []string{"fatal error: concurrent map writes\r\n"}, "fatal error: concurrent map writes"},
		{"quit", []string{"log\n", "SIGQUIT: quit\nPC=0x46e8a1 m=0 sigcode=0\n"}, "SIGQUIT: quit"},
		{"the last one", []string{"panic: first\n", "panic: second\n"}, "panic: second"},
		{"long", []string{"panic: " + strings.Repeat("é", 300) + "\n"}, "panic: " + strings.Repeat("é", (maxCrashLine-len("panic: "))/2) + "..."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			var line atomic.Pointer[string]
			w := crashWatch{out: &out, line: &line}
			for _, s := range tc.writes {
				if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", s, n, err)
				}
			}
			if got := out.String(); got != strings.Join(tc.writes, "") {
				t.Errorf("passed on %q, want %q", got, strings.Join(tc.writes, ""))
			}
			got := ""
			if p := line.Load(); p != nil {
				got = *p
			}
			if got != tc.want {
				t.Errorf("crash line %q, want %q", got, tc.want)
			}
		})
	}
}
