package strategy

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

// event is one thing read from the handshake: a report, its end (eof), or a read error.
type event struct {
	rep Report
	eof bool
	err error
}

// readReports reads JSON lines from r until EOF or an error, and sends each as an event,
// the last one being the end or the error. It stops early when done is closed; closing r
// wakes it from a read.
func readReports(r io.Reader, done <-chan struct{}) <-chan event {
	events := make(chan event)
	send := func(ev event) bool {
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
				send(event{err: fmt.Errorf("bad report %q: %w", sc.Bytes(), err)})
				return
			}
			if !send(event{rep: rep}) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			send(event{err: err})
			return
		}
		send(event{eof: true})
	}()
	return events
}
