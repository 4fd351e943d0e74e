package handshake

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sync/atomic"
)

// Event is one thing read from the handshake: a report, its end (EOF), or a read error.
type Event struct {
	Report Report
	EOF    bool
	Err    error
	// End is where the report's line ends in what was read: the bytes the daemon had
	// written up to and with it (0 for the end and for an error).
	End int64
}

// Read reads reports from r, the launcher's end of the pipe, until EOF or an error, and
// sends each as an Event, the last one being the end or the error. It stops early when
// done is closed; closing r wakes it from a read.
func Read(r io.Reader, done <-chan struct{}) <-chan Event { return NewReader(r, done).Events() }

// Reader reads reports from the handshake on a goroutine of its own (see Read), and counts
// what it has taken from the pipe, sent on as events or not yet.
type Reader struct {
	events chan Event
	taken  atomic.Int64
}

// NewReader starts reading reports from r, until EOF, an error, or done is closed.
func NewReader(r io.Reader, done <-chan struct{}) *Reader {
	rd := &Reader{events: make(chan Event)}
	send := func(ev Event) bool {
		select {
		case rd.events <- ev:
			return true
		case <-done:
			return false
		}
	}
	go func() {
		sc := bufio.NewScanner(countingReader{r, &rd.taken})
		sc.Buffer(nil, maxReport)
		var end int64
		for sc.Scan() {
			end += int64(len(sc.Bytes())) + 1 // the line and its newline
			var rep Report
			if err := json.Unmarshal(sc.Bytes(), &rep); err != nil {
				send(Event{Err: fmt.Errorf("bad report %q: %w", sc.Bytes(), err)})
				return
			}
			if !send(Event{Report: rep, End: end}) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			send(Event{Err: err})
			return
		}
		send(Event{EOF: true})
	}()
	return rd
}

// maxReport bounds one report's line: a daemon's error may quote a long path, a command
// line of a program (up to what exec takes), an sd_notify status.
const maxReport = 8 << 20

// Events is where the reports come, in order.
func (rd *Reader) Events() <-chan Event { return rd.events }

// Taken is how many bytes the reader has taken from the pipe so far: those of the reports
// it has sent on, and those it holds still, read with them in one go. (Bytes a read has
// just returned are counted a moment after.)
func (rd *Reader) Taken() int64 { return rd.taken.Load() }

// countingReader counts what reads from r return.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
