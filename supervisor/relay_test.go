package supervisor

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// writes records each Write it is given, as a copy.
type writes struct {
	mu  sync.Mutex
	all [][]byte
}

func (w *writes) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all = append(w.all, bytes.Clone(b))
	return len(b), nil
}

// relayAll relays input, from a file (each read fills relay's buffer, as a pipe's does
// when the program writes faster than relay reads), and returns the Writes relay made.
func relayAll(t *testing.T, input string) [][]byte {
	t.Helper()
	path := t.TempDir() + "/output"
	if err := os.WriteFile(path, []byte(input), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	out := &writes{}
	relay(r, out) // closes r
	return out.all
}

// TestRelayWholeLines: every Write holds whole lines only, what comes out is what went in,
// and a burst of short lines takes a Write per read, not one per line.
func TestRelayWholeLines(t *testing.T) {
	var in strings.Builder
	const lines = 20000
	for i := range lines {
		fmt.Fprintf(&in, "line %d\n", i)
	}
	got := relayAll(t, in.String())
	for i, b := range got {
		if len(b) == 0 || b[len(b)-1] != '\n' {
			t.Fatalf("Write %d does not end a line: %q", i, b)
		}
	}
	if all := string(bytes.Join(got, nil)); all != in.String() {
		t.Fatalf("relayed %d bytes, want the %d written, unchanged", len(all), in.Len())
	}
	// A Write per full read: all but the line the read ended in.
	if most := in.Len()/(maxLine-len("line 19999\n")) + 1; len(got) > most {
		t.Errorf("%d lines took %d Writes, want at most %d: lines are not batched", lines, len(got), most)
	}
}

// TestRelayCutsAndEnds: a line longer than maxLine is cut into lines of maxLine bytes, and
// a last line without a newline gets one.
func TestRelayCutsAndEnds(t *testing.T) {
	long := strings.Repeat("x", 2*maxLine+10)
	got := string(bytes.Join(relayAll(t, "short\n"+long+"\nno newline at the end"), nil))
	want := "short\n" + long[:maxLine] + "\n" + long[maxLine:2*maxLine] + "\n" + long[2*maxLine:] + "\n" + "no newline at the end\n"
	if got != want {
		t.Errorf("relayed %d bytes in %d lines, want %d in 5", len(got), strings.Count(got, "\n"), len(want))
	}
}
