package logfile

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestTail: only lines written at offset from or later are quoted, at most n of them; far
// back, a partial first line is left out; errors give nothing.
func TestTail(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	if got := Size(path); got != 0 {
		t.Errorf("Size of a missing file = %d, want 0", got)
	}
	if got := Tail(path, 0, 10); got != nil {
		t.Errorf("Tail of a missing file = %q, want none", got)
	}
	writeFile(t, path, "previous run 1\nprevious run 2\n", 0o640)
	from := Size(path)
	if from != int64(len("previous run 1\nprevious run 2\n")) {
		t.Fatalf("Size = %d", from)
	}
	if got := Tail(path, from, 10); got != nil {
		t.Errorf("Tail with nothing new = %q, want none", got)
	}
	appendTo(t, path, "this run 1\nthis run 2\nthis run 3\n")
	if got, want := Tail(path, from, 2), []string{"this run 2", "this run 3"}; !slices.Equal(got, want) {
		t.Errorf("Tail(from, 2) = %q, want %q", got, want)
	}
	if got, want := Tail(path, from, 10), []string{"this run 1", "this run 2", "this run 3"}; !slices.Equal(got, want) {
		t.Errorf("Tail(from, 10) = %q, want %q", got, want)
	}
	if got := Tail(path, from+1000, 10); got != nil {
		t.Errorf("Tail past the end (a truncated file) = %q, want none", got)
	}

	// More than 16 KiB: the look-back starts mid-line; that partial line is left out.
	var b strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&b, "line %04d %s\n", i, strings.Repeat("x", 20)) // 31 bytes
	}
	appendTo(t, path, b.String())
	got := Tail(path, from, 1000)
	if len(got) == 0 || len(got) > tailBytes/31 || got[len(got)-1] != "line 0999 "+strings.Repeat("x", 20) {
		t.Fatalf("Tail over 16 KiB gave %d lines ending %q", len(got), got[max(0, len(got)-1):])
	}
	for _, l := range got {
		if len(l) != 30 || !strings.HasPrefix(l, "line ") {
			t.Fatalf("Tail over 16 KiB gave a partial line %q", l)
		}
	}
}

// TestTailFIFO: a FIFO at the path gives no lines at once, where os.Open would block until
// a writer came.
func TestTailFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	mkfifo(t, path)
	done := make(chan []string, 1)
	go func() { done <- Tail(path, 0, 10) }()
	select {
	case got := <-done:
		if got != nil {
			t.Errorf("Tail of a FIFO = %q, want none", got)
		}
	case <-time.After(waitLimit):
		t.Fatalf("Tail of a FIFO still blocked after %v", waitLimit)
	}
	if got := Size(path); got != 0 {
		t.Errorf("Size of a FIFO = %d, want 0", got)
	}
}

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// TestTailAt: the last line with a prefix is found however far back within the bound,
// across the boundary of the chunks it reads, at from and not before it, never in the
// middle of a line; beyond the bound, or absent, nothing.
func TestTailAt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	stack := strings.Repeat("goroutine 7 [sleep]:\n\t/src/panic: not a line start\n", 5000) // ~250 KiB
	old := "panic: an earlier run's\n"
	writeFile(t, path, old+"panic: the reason\n\n"+stack, 0o640)
	lines, span := TailAt(path, 0, 3, "panic: ", "fatal error: ")
	if want := []string{"panic: the reason", "", "goroutine 7 [sleep]:"}; !slices.Equal(lines, want) || span != int64(len("panic: the reason\n\n"+stack)) {
		t.Errorf("TailAt = %q, %d; want %q, %d", lines, span, want, len("panic: the reason\n\n"+stack))
	}
	if lines, _ := TailAt(path, int64(len(old)), 1, "panic: "); !slices.Equal(lines, []string{"panic: the reason"}) {
		t.Errorf("TailAt at from = %q", lines)
	}
	if lines, _ := TailAt(path, int64(len(old))+1, 1, "panic: "); lines != nil {
		t.Errorf("TailAt past the line = %q, want none", lines)
	}
	if lines, _ := TailAt(path, 0, 1, "fatal error: "); lines != nil {
		t.Errorf("TailAt of an absent prefix = %q, want none", lines)
	}
	writeFile(t, path, "panic: too far back\n"+strings.Repeat("x\n", searchBytes/2+1), 0o640)
	if lines, _ := TailAt(path, 0, 1, "panic: "); lines != nil {
		t.Errorf("TailAt beyond its bound = %q, want none", lines)
	}
}

// BenchmarkTailAtNoMatch is TailAt on a 2 MiB log with no line it looks for, its worst
// case: what a failing start -d adds when the end of a log is a stack trace without its
// reason.
func BenchmarkTailAtNoMatch(b *testing.B) {
	path := filepath.Join(b.TempDir(), "app.log")
	line := "goroutine 7 [select]:\nmain.worker(0xc000123456)\n\t/src/app/main.go:30 +0x1d\ncreated by main.main in goroutine 1\n\t/src/app/main.go:12 +0x2a\n\n"
	if err := os.WriteFile(path, []byte(strings.Repeat(line, searchBytes/len(line)+1)), 0o640); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if lines, _ := TailAt(path, 0, 4096, "panic: ", "fatal error: "); lines != nil {
			b.Fatalf("TailAt = %q", lines)
		}
	}
}

// TestLastLineWith: the chunked search finds what a byte-by-byte one finds, wherever the
// line falls against the chunks' boundaries (its prefix across one, its newline the
// chunk's last byte), at the file's first byte and at from.
func TestLastLineWith(t *testing.T) {
	const chunk = 64 << 10
	prefixes := []string{"panic: ", "fatal error: "}
	naive := func(b []byte, from, start int64) (int64, bool) {
		for i := int64(len(b)) - 1; i >= start; i-- {
			for _, p := range prefixes {
				if bytes.HasPrefix(b[i:], []byte(p)) && (i == 0 || i == from || b[i-1] == '\n') {
					return i, true
				}
			}
		}
		return 0, false
	}
	filler := strings.Repeat("x", 3*chunk)
	for _, size := range []int{3 * chunk, 2*chunk + 17} {
		for _, at := range []int{0, 1, 5, size - chunk - 8, size - chunk - 1, size - chunk, size - chunk + 1, size - 2*chunk - 3, size - 7, size - 1} {
			if at < 0 || at >= size {
				continue
			}
			b := []byte(filler[:size])
			copy(b[at:], "panic: x")
			if at > 0 {
				b[at-1] = '\n'
			}
			b = b[:size]
			for _, from := range []int64{0, int64(at), int64(at) + 1, 3} {
				start := max(from, int64(len(b))-2*chunk-5)
				got, ok := lastLineWith(bytes.NewReader(b), from, start, int64(len(b)), prefixes)
				want, wok := naive(b, from, start)
				if got != want || ok != wok {
					t.Errorf("size %d, line at %d, from %d: lastLineWith = %d, %v; want %d, %v", size, at, from, got, ok, want, wok)
				}
			}
		}
	}
}
