package notify

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// MaxDatagram is the largest datagram accepted, in bytes, including an optional trailing
// NUL: systemd's NOTIFY_BUFFER_MAX (PIPE_BUF, 4096 on Linux). A longer one is rejected
// whole, never truncated.
const MaxDatagram = 4096

// maxPID is Linux's PID_MAX_LIMIT on 64-bit systems: no pid is ever larger.
const maxPID = 1 << 22

// ErrTooLarge means a datagram is longer than MaxDatagram. Nothing of it is used.
var ErrTooLarge = errors.New("notify datagram over 4096 bytes")

// ErrNUL means a datagram holds a NUL byte other than one at its very end, which systemd
// refuses too. Nothing of it is used.
var ErrNUL = errors.New("notify datagram holds a NUL byte")

// ErrBadField means one assignment of a datagram could not be used (a malformed number,
// STATUS that is not UTF-8, assignments beside BARRIER=1). Only those are lost.
var ErrBadField = errors.New("invalid notify assignment")

// Message is one accepted datagram. A field not in the datagram has its zero value.
type Message struct {
	// PID is the sender's pid as the kernel's credentials give it (Receive); Parse leaves
	// it 0. A sender with CAP_SYS_ADMIN may name another pid: systemd-notify run as root
	// names its parent.
	PID int

	// Ready, Reloading and Stopping are READY=1, RELOADING=1 and STOPPING=1. At most one
	// is set: as systemd does, the last of them in the datagram wins.
	Ready, Reloading, Stopping bool

	// Barrier is BARRIER=1. It must come alone: a datagram holding it carries nothing
	// else (other assignments are ignored and reported in Err, as systemd ignores them).
	// Its descriptor was closed before Receive returned, which releases the sender.
	Barrier bool

	// WatchdogPing is WATCHDOG=1.
	WatchdogPing bool

	// Status is the STATUS= text, valid UTF-8 without line breaks; HasStatus says that the
	// datagram held one (an empty STATUS= clears the status).
	Status    string
	HasStatus bool

	// Errno is ERRNO=N, from 0 to 4095; Errno.Error() describes it. 0 means no error.
	Errno syscall.Errno

	// MainPID is MAINPID=N, from 2 to 4194304 (Linux's PID_MAX_LIMIT); 0 if absent.
	// Nothing here says that the process exists or descends from the sender.
	MainPID int

	// ExtendTimeout is EXTEND_TIMEOUT_USEC=N (microseconds). A value beyond
	// time.Duration's range (about 292 years) saturates at its maximum.
	ExtendTimeout time.Duration

	// Other holds every other assignment, key to value, such as WATCHDOG_USEC=, FDSTORE=,
	// or READY=0 (only "1" sets a flag). It is nil when there are none.
	Other map[string]string

	// Err is nil, or joins one error wrapping ErrBadField per assignment left out.
	Err error
}

// Parse parses one datagram as systemd does. A datagram longer than MaxDatagram, or with a
// NUL byte before its last byte, is rejected: Parse returns the zero Message and an error
// wrapping ErrTooLarge or ErrNUL. Otherwise the error is nil. Assignments are separated by
// "\n" or "\r" (so CRLF works); lines without '=', or with nothing before it, are ignored.
// When a key appears twice the first one counts, except READY, RELOADING and STOPPING,
// where the last of the three wins. A malformed value is reported in Message.Err and
// costs only its own field.
func Parse(b []byte) (Message, error) {
	if len(b) > MaxDatagram {
		return Message{}, fmt.Errorf("parse %d bytes: %w", len(b), ErrTooLarge)
	}
	if n := len(b); n > 0 && b[n-1] == 0 {
		b = b[:n-1]
	}
	text := string(b)
	if i := strings.IndexByte(text, 0); i >= 0 {
		return Message{}, fmt.Errorf("parse: byte %d: %w", i, ErrNUL)
	}
	lines := strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' })
	var m Message
	var errs []error
	var state string
	seen := make(map[string]bool)
	for _, line := range lines {
		key, val, ok := strings.Cut(line, "=")
		if !ok || key == "" {
			continue
		}
		if val == "1" {
			switch key {
			case "READY", "RELOADING", "STOPPING":
				state = key
				continue
			case "BARRIER":
				m.Barrier = true
				continue
			case "WATCHDOG":
				m.WatchdogPing = true
				continue
			}
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		if err := m.set(key, val); err != nil {
			errs = append(errs, fmt.Errorf("parse %s=%q: %w: %s", key, clip(val), ErrBadField, err))
		}
	}
	if m.Barrier {
		if len(lines) > 1 {
			errs = []error{fmt.Errorf("parse BARRIER=1: %w: it must come alone; %d other lines ignored", ErrBadField, len(lines)-1)}
		}
		return Message{Barrier: true, Err: errors.Join(errs...)}, nil
	}
	m.Ready, m.Reloading, m.Stopping = state == "READY", state == "RELOADING", state == "STOPPING"
	m.Err = errors.Join(errs...)
	return m, nil
}

// set sets the field key names from val, or says why val is not valid for it.
func (m *Message) set(key, val string) error {
	switch key {
	case "STATUS":
		if !utf8.ValidString(val) {
			return errors.New("not UTF-8")
		}
		m.Status, m.HasStatus = val, true
	case "ERRNO":
		n, err := decimal(val, 4095)
		if err != nil {
			return err
		}
		m.Errno = syscall.Errno(n)
	case "MAINPID":
		n, err := decimal(val, maxPID)
		if err != nil {
			return err
		}
		if n < 2 {
			return errors.New("pid 0 and 1 are never a main pid")
		}
		m.MainPID = int(n)
	case "EXTEND_TIMEOUT_USEC":
		n, err := decimal(val, math.MaxUint64)
		if err != nil {
			return err
		}
		m.ExtendTimeout = time.Duration(math.MaxInt64)
		if n <= math.MaxInt64/uint64(time.Microsecond) {
			m.ExtendTimeout = time.Duration(n) * time.Microsecond
		}
	default:
		if m.Other == nil {
			m.Other = make(map[string]string)
		}
		m.Other[key] = val
	}
	return nil
}

// decimal parses s, ASCII digits only (no sign, no space), as a number up to max.
func decimal(s string, max uint64) (uint64, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, errors.New("not a decimal number")
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > max {
		return 0, fmt.Errorf("out of range (0 to %d)", max)
	}
	return n, nil
}

// clip shortens a value quoted in an error message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
