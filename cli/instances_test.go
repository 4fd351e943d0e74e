package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLastLinesStart: the offset of the last n lines, for files ending with or without a
// newline, shorter than n lines, and longer than one read.
func TestLastLinesStart(t *testing.T) {
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
		r := strings.NewReader(tc.content)
		start, err := lastLinesStart(r, int64(len(tc.content)), tc.n)
		if err != nil {
			t.Fatal(err)
		}
		if got := tc.content[start:]; got != tc.want {
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
	if err := printLast(&out, log, 2); err != nil || out.String() != "two\nthree\n" {
		t.Fatalf("printLast = %q, %v; want \"two\\nthree\\n\"", out.String(), err)
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
		if err := printLast(&out, path, 2); err == nil || out.Len() > 0 {
			t.Errorf("printLast(%s) = %q, %v; want an error and nothing printed", path, out.String(), err)
		}
	}
}

func TestShellJoin(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"redis-server", "--port", "7000"}, "redis-server --port 7000"},
		{[]string{"python3", "-m", "http.server", "8000"}, "python3 -m http.server 8000"},
		{[]string{"sh", "-c", "trap '' TERM; sleep 1000"}, `sh -c 'trap '\'''\'' TERM; sleep 1000'`},
		{[]string{"echo", ""}, "echo ''"},
	} {
		if got := shellJoin(tc.args); got != tc.want {
			t.Errorf("shellJoin(%q) = %s, want %s", tc.args, got, tc.want)
		}
	}
}

func TestRoughDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second:                   "0s",
		1500 * time.Millisecond:        "1s",
		5*time.Minute + 12*time.Second: "5m12s",
		3*time.Hour + 4*time.Minute:    "3h4m",
		53 * time.Hour:                 "2d5h",
	} {
		if got := roughDuration(d); got != want {
			t.Errorf("roughDuration(%v) = %s, want %s", d, got, want)
		}
	}
}

func TestNameList(t *testing.T) {
	var names []string
	for i := range 12 {
		names = append(names, fmt.Sprintf("n%d", i))
	}
	if got := nameList(names[:3], 10); got != "n0, n1, n2" {
		t.Errorf("nameList(3) = %s", got)
	}
	if got := nameList(names, 10); got != "n0, n1, n2, n3, n4, n5, n6, n7, n8, n9 and 2 more" {
		t.Errorf("nameList(12) = %s", got)
	}
}
