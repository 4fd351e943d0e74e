package notify

import (
	"errors"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestParse checks each rule of Parse on one datagram: what it sets, and which fields a
// malformed value costs (wantBad counts the errors in Message.Err).
func TestParse(t *testing.T) {
	long := "STATUS=" + strings.Repeat("x", MaxDatagram-7)
	for _, tc := range []struct {
		name, in string
		want     Message
		wantBad  int
	}{
		{"empty", "", Message{}, 0},
		{"ready", "READY=1", Message{Ready: true}, 0},
		{"status keeps '='", "STATUS=a=b", Message{Status: "a=b", HasStatus: true}, 0},
		{"empty status clears", "STATUS=", Message{HasStatus: true}, 0},
		{"crlf", "READY=1\r\nSTATUS=up\r\n", Message{Ready: true, Status: "up", HasStatus: true}, 0},
		{"lone cr splits", "STATUS=a\rb", Message{Status: "a", HasStatus: true}, 0},
		{"trailing NUL", "READY=1\x00", Message{Ready: true}, 0},
		{"no '=' ignored", "hello\nREADY=1\n=x", Message{Ready: true}, 0},
		{"last state wins", "READY=1\nSTOPPING=1", Message{Stopping: true}, 0},
		{"reloading", "RELOADING=1", Message{Reloading: true}, 0},
		{"first status wins", "STATUS=a\nSTATUS=b", Message{Status: "a", HasStatus: true}, 0},
		{"watchdog", "WATCHDOG=1", Message{WatchdogPing: true}, 0},
		{"other values kept", "READY=0\nWATCHDOG=trigger\nX=y", Message{Other: map[string]string{"READY": "0", "WATCHDOG": "trigger", "X": "y"}}, 0},
		{"errno", "ERRNO=2", Message{Errno: 2}, 0},
		{"errno too big", "ERRNO=4096\nREADY=1", Message{Ready: true}, 1},
		{"errno negative", "ERRNO=-1", Message{}, 1},
		{"mainpid", "MAINPID=4242", Message{MainPID: 4242}, 0},
		{"mainpid 1", "MAINPID=1", Message{}, 1},
		{"mainpid garbage keeps the rest", "MAINPID=12ab\nREADY=1\nSTATUS=s", Message{Ready: true, Status: "s", HasStatus: true}, 1},
		{"mainpid over pid_max", "MAINPID=4194305", Message{}, 1},
		{"extend", "EXTEND_TIMEOUT_USEC=1500000", Message{ExtendTimeout: 1500 * time.Millisecond}, 0},
		{"extend saturates", "EXTEND_TIMEOUT_USEC=18446744073709551615", Message{ExtendTimeout: math.MaxInt64}, 0},
		{"extend overflow", "EXTEND_TIMEOUT_USEC=18446744073709551616", Message{}, 1},
		{"extend negative", "EXTEND_TIMEOUT_USEC=-5", Message{}, 1},
		{"extend spaces", "EXTEND_TIMEOUT_USEC= 5", Message{}, 1},
		{"extend garbage", "EXTEND_TIMEOUT_USEC=5s\nREADY=1", Message{Ready: true}, 1},
		{"status not utf8", "STATUS=\xff\nREADY=1", Message{Ready: true}, 1},
		{"barrier", "BARRIER=1", Message{Barrier: true}, 0},
		{"barrier not alone", "BARRIER=1\nREADY=1", Message{Barrier: true}, 1},
		{"exactly the limit", long, Message{Status: long[7:], HasStatus: true}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse([]byte(tc.in))
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tc.in, err)
			}
			if n := countBad(t, m.Err); n != tc.wantBad {
				t.Errorf("Parse(%q).Err = %v, want %d errors wrapping ErrBadField", tc.in, m.Err, tc.wantBad)
			}
			m.Err = nil
			if !reflect.DeepEqual(m, tc.want) {
				t.Errorf("Parse(%q) = %+v, want %+v", tc.in, m, tc.want)
			}
		})
	}
}

// TestParseRejects checks that an oversized datagram or one with a NUL byte inside is
// refused whole, with its own sentinel.
func TestParseRejects(t *testing.T) {
	for in, want := range map[string]error{
		strings.Repeat("x", MaxDatagram+1):             ErrTooLarge,
		"READY=1\n" + strings.Repeat("x", 5000):        ErrTooLarge,
		"READY=1\x00STATUS=x":                          ErrNUL,
		"\x00\x00":                                     ErrNUL,
		"STATUS=" + strings.Repeat("x", 4089) + "\x00": ErrTooLarge,
	} {
		m, err := Parse([]byte(in))
		if !errors.Is(err, want) || !reflect.DeepEqual(m, Message{}) {
			t.Errorf("Parse(%.20q... %d bytes) = %+v, %v; want the zero Message and %v", in, len(in), m, err, want)
		}
	}
	if m, _ := Parse([]byte("MAINPID=x")); !strings.Contains(m.Err.Error(), `MAINPID="x"`) {
		t.Errorf("field error %q does not name the assignment", m.Err)
	}
	if m, _ := Parse([]byte("ERRNO=2")); m.Errno.Error() != "no such file or directory" {
		t.Errorf("Errno 2 describes itself as %q", m.Errno.Error())
	}
}

// countBad counts the errors joined in err, failing the test if one is not ErrBadField.
func countBad(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		if !errors.Is(e, ErrBadField) {
			t.Errorf("field error %v does not wrap ErrBadField", e)
		}
	}
	return len(errs)
}

// FuzzParse checks Parse's invariants on any input: it never panics, rejects only with
// ErrTooLarge or ErrNUL (and then returns nothing), keeps every field within its stated
// range, and what it returns, written back as a datagram, parses to the same message.
func FuzzParse(f *testing.F) {
	f.Add([]byte("READY=1\nSTATUS=ok"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrNUL) || !reflect.DeepEqual(m, Message{}) {
				t.Fatalf("Parse rejected with %v, %+v", err, m)
			}
			return
		}
		if len(b) > MaxDatagram {
			t.Fatalf("Parse accepted %d bytes", len(b))
		}
		countBad(t, m.Err)
		checkRanges(t, m)
		m.Err = nil
		again, err := Parse(encode(m))
		if again.Err = nil; err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("round trip: %+v became %+v, %v (datagram %q)", m, again, err, encode(m))
		}
	})
}

func checkRanges(t *testing.T, m Message) {
	t.Helper()
	states := 0
	for _, s := range []bool{m.Ready, m.Reloading, m.Stopping} {
		if s {
			states++
		}
	}
	bad := states > 1 || m.PID != 0 || m.Errno > 4095 || m.ExtendTimeout < 0 ||
		m.MainPID != 0 && (m.MainPID < 2 || m.MainPID > maxPID) ||
		!utf8.ValidString(m.Status) || strings.ContainsAny(m.Status, "\r\n\x00") ||
		!m.HasStatus && m.Status != ""
	if m.Barrier && (states > 0 || m.HasStatus || m.Errno != 0 || m.MainPID != 0 || m.ExtendTimeout != 0 || m.WatchdogPing || m.Other != nil) {
		bad = true
	}
	for k, v := range m.Other {
		bad = bad || k == "" || strings.ContainsAny(k, "=\r\n\x00") || strings.ContainsAny(v, "\r\n\x00")
	}
	if bad {
		t.Fatalf("Parse returned a field out of range: %+v", m)
	}
}

// encode writes m back as a datagram.
func encode(m Message) []byte {
	var lines []string
	if m.Barrier {
		return []byte("BARRIER=1")
	}
	keys := make([]string, 0, len(m.Other))
	for k := range m.Other {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		lines = append(lines, k+"="+m.Other[k])
	}
	add := func(cond bool, line string) {
		if cond {
			lines = append(lines, line)
		}
	}
	add(m.HasStatus, "STATUS="+m.Status)
	add(m.Errno != 0, "ERRNO="+strconv.Itoa(int(m.Errno)))
	add(m.MainPID != 0, "MAINPID="+strconv.Itoa(m.MainPID))
	usec := strconv.FormatInt(int64(m.ExtendTimeout/time.Microsecond), 10)
	if m.ExtendTimeout == math.MaxInt64 {
		usec = strconv.FormatInt(math.MaxInt64/int64(time.Microsecond)+1, 10) // the least that saturates
	}
	add(m.ExtendTimeout != 0, "EXTEND_TIMEOUT_USEC="+usec)
	add(m.WatchdogPing, "WATCHDOG=1")
	add(m.Ready, "READY=1")
	add(m.Reloading, "RELOADING=1")
	add(m.Stopping, "STOPPING=1")
	return []byte(strings.Join(lines, "\n"))
}
