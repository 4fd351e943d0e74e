package logfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestLastN: the last n lines, for files ending with or without a
// newline, shorter than n lines, and longer than one read.
func TestLastN(t *testing.T) {
	long := strings.Repeat(strings.Repeat("x", 999)+"\n", 100) // 100 KB: several reads
	for _, tc := range []struct {
		content string
		n       int
		want    string
	}{
		{"", 5, ""},
		{"a\n", 0, ""},
		{"a\n", 1, "a\n"},
		{"a\n", 5, "a\n"},
		{"a\nb\nc\n", 2, "b\nc\n"},
		{"a\nb\nc", 2, "b\nc"},
		{"a\nb\nc", 1, "c"},
		{"\n\n\n", 2, "\n\n"},
		{long + "tail\n", 3, strings.Repeat(strings.Repeat("x", 999)+"\n", 2) + "tail\n"},
		{long, 100, long},
		{long, 1000, long},
	} {
		path := filepath.Join(t.TempDir(), "x.log")
		if err := os.WriteFile(path, []byte(tc.content), 0o640); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := Last(&out, path, tc.n); err != nil {
			t.Fatal(err)
		}
		want := tc.want
		if want != "" && !strings.HasSuffix(want, "\n") {
			want += "\n" // Last ends an unfinished last line
		}
		if got := out.String(); got != want {
			t.Errorf("last %d lines of %.20q: got %.40q, want %.40q", tc.n, tc.content, got, tc.want)
		}
	}
}

// TestPrintLast ends an unfinished last line, and refuses what is not a regular file
// without following or blocking on it.
func TestPrintLast(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "x.log")
	if err := os.WriteFile(log, []byte("one\ntwo\nthree"), 0o640); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Last(&out, log, 2); err != nil || out.String() != "two\nthree\n" {
		t.Fatalf("Last = %q, %v; want \"two\\nthree\\n\"", out.String(), err)
	}
	link := filepath.Join(dir, "link.log")
	if err := os.Symlink(log, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.log")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{link, fifo, dir, filepath.Join(dir, "missing.log")} {
		out.Reset()
		if err := Last(&out, path, 2); err == nil || out.Len() > 0 {
			t.Errorf("Last(%s) = %q, %v; want an error and nothing printed", path, out.String(), err)
		}
	}
}
