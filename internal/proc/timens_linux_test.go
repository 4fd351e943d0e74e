package proc

import "testing"

// TestTimeNSOffset: the boottime line of /proc/PID/timens_offsets, in clock ticks, rounded
// down; none for a file without one, a negative offset, or a namespace not the reader's.
func TestTimeNSOffset(t *testing.T) {
	for _, tc := range []struct {
		file string
		same bool
		want uint64
	}{
		{"monotonic           0         0\nboottime            0         0\n", true, 0},
		{"monotonic      100000         0\nboottime       100000         0\n", true, 100000 * userHZ},
		{"monotonic 0 0\nboottime 3 25000000\n", true, 3*userHZ + 2},
		{"boottime 100000 0\n", false, 0},
		{"boottime -5 0\n", true, 0},
		{"monotonic 7 0\n", true, 0},
		{"boottime x 0\n", true, 0},
		{"", true, 0},
	} {
		if got := timeNSOffset([]byte(tc.file), tc.same); got != tc.want {
			t.Errorf("timeNSOffset(%q, %v) = %d, want %d", tc.file, tc.same, got, tc.want)
		}
	}
}
