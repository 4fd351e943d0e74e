package launcher

import "testing"

// TestFormatTailVisible: a program's log lines quoted in start's error keep their text and
// tabs, but their escape sequences, other control characters and bytes that are not UTF-8
// are written as \xNN, so that they cannot act on the terminal.
func TestFormatTailVisible(t *testing.T) {
	got := formatTail([]string{"plain\tline é", "\x1b]0;owned\x07red \x1b[31m", "bad \xff byte", "c1 \u009b"}, "/x.log")
	want := "\nlast lines of its log:" +
		"\n    plain\tline é" +
		"\n    \\x1b]0;owned\\x07red \\x1b[31m" +
		"\n    bad \\xff byte" +
		"\n    c1 \\xc2\\x9b"
	if got != want {
		t.Errorf("formatTail =\n%q\nwant\n%q", got, want)
	}
}
