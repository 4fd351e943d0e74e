package supervisor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
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

// TestRelayCutsAtExactLength: a line of exactly maxLine bytes, or a multiple, is cut into
// lines of maxLine with no empty line after them: the newline that ends it ends the last
// piece.
func TestRelayCutsAtExactLength(t *testing.T) {
	for _, n := range []int{maxLine, 2 * maxLine} {
		line := strings.Repeat("x", n)
		got := string(bytes.Join(relayAll(t, line+"\nnext\n"), nil))
		want := strings.Repeat(strings.Repeat("x", maxLine)+"\n", n/maxLine) + "next\n"
		if got != want {
			t.Errorf("a line of %d bytes: relayed %d lines (%d empty), want %d", n, strings.Count(got, "\n"), strings.Count(got, "\n\n"), n/maxLine+1)
		}
	}
}

// TestRelayCutsBetweenCharacters: a long line of UTF-8 is cut at the last character
// boundary at or before maxLine, so that every piece is valid UTF-8 (a JSON log would
// show U+FFFD for each half of a character cut in two) and the pieces join up to the
// line; bytes that are not UTF-8 are cut at maxLine, as they are.
func TestRelayCutsBetweenCharacters(t *testing.T) {
	for _, tc := range []struct {
		name, line string
	}{
		{"2-byte", "a" + strings.Repeat("é", 40000)},              // maxLine falls after an é's first byte
		{"3-byte-2", "ab" + strings.Repeat("€", 30000)},           // after a €'s second byte
		{"3-byte-1", "abc" + strings.Repeat("€", 30000)},          // after its first
		{"3-byte-0", "a" + strings.Repeat("€", 30000)},            // between two: cut there
		{"4-byte-3", "a" + strings.Repeat("\U0001F600", 20000)},   // after an emoji's third byte
		{"4-byte-2", "ab" + strings.Repeat("\U0001F600", 20000)},  // its second
		{"4-byte-1", "abc" + strings.Repeat("\U0001F600", 20000)}, // its first
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := relayAll(t, tc.line+"\n")
			all := string(bytes.Join(got, nil))
			pieces := strings.Split(strings.TrimSuffix(all, "\n"), "\n")
			if len(pieces) < 2 {
				t.Fatalf("%d bytes relayed as %d lines, want a cut", len(tc.line), len(pieces))
			}
			for i, p := range pieces {
				if !utf8.ValidString(p) {
					t.Errorf("piece %d of %d (%d bytes) is not valid UTF-8: it starts %q and ends %q", i+1, len(pieces), len(p), p[:min(4, len(p))], p[max(0, len(p)-4):])
				}
				if len(p) > maxLine || i < len(pieces)-1 && len(p) < maxLine-(utf8.UTFMax-1) {
					t.Errorf("piece %d of %d is %d bytes, want %d less at most 3", i+1, len(pieces), len(p), maxLine)
				}
			}
			if joined := strings.Join(pieces, ""); joined != tc.line {
				t.Errorf("the pieces join up to %d bytes, want the %d written, unchanged", len(joined), len(tc.line))
			}
		})
	}
	// Not UTF-8 at the cut (continuation bytes alone, a lead byte that its next byte
	// does not continue): cut at maxLine exactly, the bytes as they were.
	for _, junk := range []string{
		strings.Repeat("x", maxLine-50) + strings.Repeat("\x80", 100),
		strings.Repeat("x", maxLine-2) + "\xe0\x80" + "yyy",
	} {
		want := junk[:maxLine] + "\n" + junk[maxLine:] + "\n"
		if got := string(bytes.Join(relayAll(t, junk+"\n"), nil)); got != want {
			t.Errorf("junk relayed as %d bytes in %d lines, want %d in 2, cut at %d", len(got), strings.Count(got, "\n"), len(want), maxLine)
		}
	}
}

// TestJSONLinesLocalTime: a program's line in a JSON log carries its time in the local
// zone with its offset, as the daemon's own lines do (hclog), so that one log does not mix
// two zones and its @timestamp fields sort as the lines were written.
func TestJSONLinesLocalTime(t *testing.T) {
	local := time.Local
	time.Local = time.FixedZone("IST", 5*3600+30*60)
	defer func() { time.Local = local }()
	var out bytes.Buffer
	if _, err := (&jsonLines{out: &out, stream: "stdout", pid: 42}).Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	var line jsonLine
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatalf("%q: %v", out.String(), err)
	}
	if !strings.HasSuffix(line.Timestamp, "+05:30") {
		t.Errorf("@timestamp %q: want the local zone's offset, +05:30, as the daemon's own lines have", line.Timestamp)
	}
}

// TestAwaitOutputCapped: a relay that writes without end holds the end no longer than
// outputDrainCap where the wait could otherwise last for ever: its output cannot give up (a
// library's own writer, blocked on a reader that never reads again), or a process that left
// the instance holds the program's pipe and writes to it (more than the program can have
// left behind it). Where the output can give up (a log Writer, which a stop bounds) and the
// relays only write what the program left, slowly, it waits for them.
func TestAwaitOutputCapped(t *testing.T) {
	gaveUp := make(chan struct{}) // never closed: a Writer that has not given up
	givenUp := make(chan struct{})
	close(givenUp) // a Writer a stop's bound made give up
	for _, tc := range []struct {
		name    string
		rl      *relays
		handing int64 // bytes handed on after the end, every 100ms
		capped  bool
	}{
		{name: "cannot give up", rl: &relays{}, capped: true},
		{name: "a writer outside", rl: &relays{gaveUp: gaveUp}, handing: outputLeftMax / 8, capped: true},
		{name: "a writer outside, at a stop", rl: &relays{gaveUp: givenUp}, handing: 16, capped: true},
		{name: "a slow reader", rl: &relays{gaveUp: gaveUp}, handing: 4 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.rl.writing.Add(1) // inside a Write, for as long as the test lasts
			done, returned, stop := make(chan struct{}), make(chan struct{}), make(chan struct{})
			defer close(stop)
			go func() {
				for {
					select {
					case <-stop:
						return
					case <-time.After(100 * time.Millisecond):
						tc.rl.handed.Add(tc.handing)
					}
				}
			}()
			go func() {
				awaitOutput(done, tc.rl)
				close(returned)
			}()
			if tc.capped {
				select {
				case <-returned:
				case <-time.After(outputDrainCap + 10*time.Second):
					t.Fatal("awaitOutput did not return behind a relay that writes for ever")
				}
				return
			}
			select {
			case <-returned:
				t.Fatal("awaitOutput gave up on a slow reader of what the program left")
			case <-time.After(outputDrainCap + time.Second):
			}
			close(done)
			<-returned
		})
	}
}

// TestRelaysIdle: how long since a relay last wrote is counted on the monotonic clock,
// from the end of its write: never negative, never more than has passed since, and for
// ever for relays that never wrote.
func TestRelaysIdle(t *testing.T) {
	rl := &relays{}
	if got := rl.idle(); got != math.MaxInt64 {
		t.Fatalf("idle before any write = %s, want for ever", got)
	}
	done := (&handoff{rls: []*relays{rl}}).writing()
	if got := rl.idle(); got != 0 {
		t.Fatalf("idle while writing = %s, want 0", got)
	}
	before := time.Now()
	done()
	if got, most := rl.idle(), time.Since(before); got < 0 || got > most {
		t.Fatalf("idle after a write = %s, want between 0 and %s", got, most)
	}
}
