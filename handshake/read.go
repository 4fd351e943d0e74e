package handshake

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

// Event is one thing read from the handshake: a report, its end (EOF), or a read error.
type Event struct {
	Report Report
	EOF    bool
	Err    error
}

// Read reads reports from r, the launcher's end of the pipe, until EOF or an error, and
// sends each as an Event, the last one being the end or the error. It stops early when
// done is closed; closing r wakes it from a read.
func Read(r io.Reader, done <-chan struct{}) <-chan Event {
	events := make(chan Event)
	send := func(ev Event) bool {
		select {
		case events <- ev:
			return true
		case <-done:
			return false
		}
	}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			var rep Report
			if err := json.Unmarshal(sc.Bytes(), &rep); err != nil {
				send(Event{Err: fmt.Errorf("bad report %q: %w", sc.Bytes(), err)})
				return
			}
			if !send(Event{Report: rep}) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			send(Event{Err: err})
			return
		}
		send(Event{EOF: true})
	}()
	return events
}
