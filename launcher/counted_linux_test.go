package launcher

import (
	"os"
	"testing"
	"time"
)

// TestCountedPipeNoReadUncounted: bytes a read has taken from the handshake pipe are never
// missing from written, neither in the pipe nor counted: written, looked at while a read
// holds them between the two, waits for their count. Counted after the read returned, they
// were missing for that moment, and the word of a daemon ready in time, read just as a
// launcher continued past its deadline looked at it (start_ready_while_stopped under a full
// suite), was taken for a late one.
func TestCountedPipeNoReadUncounted(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	p, err := newCountedPipe(r)
	if err != nil {
		t.Fatal(err)
	}
	line := "{\"ready\":true,\"pid\":42}\n"
	if _, err := w.WriteString(line); err != nil {
		t.Fatal(err)
	}
	taken, release := make(chan struct{}), make(chan struct{})
	testHookCountedRead = func() { close(taken); <-release } // between the read and its count
	defer func() { testHookCountedRead = nil }()
	readDone := make(chan error, 1)
	go func() {
		_, err := p.Read(make([]byte, 64))
		readDone <- err
	}()
	<-taken
	got := make(chan int64, 1)
	go func() { got <- p.written() }()
	// written may not answer while the bytes are uncounted: an answer within this bound is
	// checked; none is what is due (the bound ends the look, it decides nothing).
	select {
	case n := <-got:
		close(release)
		t.Fatalf("written = %d while a read held the bytes it took uncounted, want %d", n, len(line))
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if err := <-readDone; err != nil {
		t.Fatal(err)
	}
	if n := <-got; n != int64(len(line)) {
		t.Fatalf("written = %d, want %d", n, len(line))
	}
}
