//go:build linux

package proc

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzParseStat: the command name in /proc/PID/stat is whatever a process calls itself
// (prctl PR_SET_NAME, or its file's name): spaces, parentheses, newlines and digits
// included. Whatever name and numbers a stat line is made of, ParseStat reads back the
// numbers it was given, never the name's; and a line of any bytes never panics and, read,
// has a one-letter state.
func FuzzParseStat(f *testing.F) {
	f.Add([]byte("123 (sleep) S 1 2 3 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 4242 8000 200"), "sleep", byte('S'), 1, 2, 3, 1, uint64(4194560), uint64(4242), uint64(0))
	f.Add([]byte("9 (a) Z (b)) R"), "a) Z (b)", byte('R'), 0, 9, 9, 3, uint64(2129984), uint64(5), uint64(444))
	f.Add([]byte("7 () 1 2 3) T"), ") 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 (", byte('T'), 7, 7, 7, 1, uint64(1), uint64(1), uint64(1))
	f.Add([]byte(""), "x\ny", byte('Z'), 1, 1, 1, 2, uint64(0), uint64(0), uint64(0))
	f.Fuzz(func(t *testing.T, line []byte, comm string, state byte, ppid, pgrp, sid, threads int, flags, start, envEnd uint64) {
		if st, err := ParseStat(line); err == nil && (st.State == ' ' || st.State == '\n') {
			t.Fatalf("ParseStat(%q) = %+v: a blank state", line, st)
		}
		if state <= ' ' || state > '~' || state == ')' || ppid < 0 || pgrp < 0 || sid < 0 || threads < 0 {
			return // the kernel writes a visible letter and no negative pid
		}
		// Fields 3 to 52, as Linux writes them since 5.x (env_start and env_end are fields
		// 50 and 51); then the same line cut after field 24, as a kernel before 3.5, without
		// them, ends it.
		fields := fmt.Sprintf("%c %d %d %d 0 -1 %d 0 0 0 0 1 2 0 0 20 0 %d 0 %d 8000 200", state, ppid, pgrp, sid, flags, threads, start)
		long := fields + strings.Repeat(" 0", 49-24) + fmt.Sprintf(" %d %d 0", envEnd/2, envEnd)
		for _, tc := range []struct {
			line             string
			envStart, envEnd uint64
		}{{long, envEnd / 2, envEnd}, {fields, 0, 0}} {
			line := "4321 (" + comm + ") " + tc.line
			want := Stat{State: state, PPID: ppid, PGRP: pgrp, SID: sid, Threads: threads, StartTime: start, Flags: flags, EnvStart: tc.envStart, EnvEnd: tc.envEnd}
			if got, err := ParseStat([]byte(line)); err != nil || got != want {
				t.Fatalf("ParseStat(%q) = %+v, %v; want %+v", line, got, err, want)
			}
		}
	})
}
