package instance

import (
	"os"
	"testing"
)

// TestRecordWrittenFor: a record is of the running process by its start time, this boot,
// whatever pid it records (a daemon in another pid namespace records the pid it has there)
// and whatever state it says since; never without a start time, nor of another start time
// or another boot.
func TestRecordWrittenFor(t *testing.T) {
	pid := os.Getpid()
	start := StartTime(pid)
	if start == 0 {
		t.Skip("no start times here")
	}
	for _, c := range []struct {
		name string
		rec  Record
		want bool
	}{
		{"same pid and start", Record{PID: pid, StartTime: start}, true},
		{"marked stopped since", Record{PID: pid, StartTime: start, State: StateStopped}, true},
		{"another namespace's pid", Record{PID: 10, StartTime: start, BootID: BootID()}, true},
		{"a later run", Record{PID: pid, StartTime: start - 1}, false},
		{"no start time", Record{PID: pid}, false},
		{"another boot", Record{PID: pid, StartTime: start, BootID: "not-this-boot"}, false},
	} {
		if got := c.rec.WrittenFor(pid); got != c.want {
			t.Errorf("%s: WrittenFor(%d) = %v, want %v", c.name, pid, got, c.want)
		}
	}
	// A daemon that is its pid namespace's init, seen from inside: pid 1, by its start time.
	if init := StartTime(1); init != 0 && !(Record{PID: 1, StartTime: init}).WrittenFor(1) {
		t.Error("WrittenFor(1) of a record of pid 1's start time: false, want true")
	}
}
