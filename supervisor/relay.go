package supervisor

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/daemonkit/daemonkit/internal/proc"
)

// maxLine is the longest line relayed as one; a longer one is cut into pieces this long
// (or up to 3 bytes shorter, not to split a UTF-8 character), each written as a line of
// its own.
const maxLine = 64 << 10

// relay copies what the program writes to r into out until EOF. Each Write holds whole
// lines only, as many as one read brought (up to maxLine bytes), so the log's writer, which
// writes each Write whole or not at all, never splits a line, and a chatty program costs
// one write(2) per read rather than one per line. A line longer than maxLine is cut into
// pieces that long (less the start of a UTF-8 character cut in half, which begins the next
// piece), each written as a line of its own; a last line without a newline gets one. It
// closes r.
func relay(r *os.File, out io.Writer) {
	defer r.Close()
	buf := make([]byte, maxLine)
	held := 0        // buf[:held] is a line begun but not yet ended
	justCut := false // a line was just cut at maxLine: a newline next ends it, and is no line of its own
	for {
		n, err := r.Read(buf[held:])
		if justCut && n > 0 {
			justCut = false
			if buf[held] == '\n' { // held is 0 after a cut at maxLine
				copy(buf[held:], buf[held+1:held+n])
				n--
			}
		}
		held += n
		if end := bytes.LastIndexByte(buf[:held], '\n'); end >= 0 {
			_, _ = out.Write(buf[:end+1])
			held = copy(buf, buf[end+1:held])
		} else if held == len(buf) {
			cut := cutAt(buf[:held])
			_, _ = out.Write(append(buf[:cut:cut], '\n')) // a cut: a copy, whole
			held = copy(buf, buf[cut:held])
			justCut = held == 0
		}
		if err != nil {
			if held > 0 {
				_, _ = out.Write(append(buf[:held:held], '\n')) // the last line: a copy, whole
			}
			return
		}
	}
}

// relays are relays of a program's output (a copy's, or every copy's): those still
// running, and whether one is writing, or when one last wrote, so that the end waits for
// output still being written.
type relays struct {
	gaveUp  <-chan struct{} // the output's writer's give-up (gaveUpOf), nil if it never gives up
	handed  atomic.Int64    // bytes the relays have read and handed on to be written
	running sync.WaitGroup
	writing atomic.Int32 // relays inside a Write now
	last    atomic.Int64 // when a Write last returned, as monoNow says; 0: never
}

// monoOrigin is the origin of monoNow, read once.
var monoOrigin = sync.OnceValue(time.Now)

// monoNow is the time now on the monotonic clock, in nanoseconds since monoOrigin, plus one
// (never 0). A wall-clock time (UnixNano) would move with every step of the clock: stepped
// back an hour after a program's last line, its relays would look busy for an hour, and
// the end of a program whose pipe a process outside holds would wait that hour, polling.
func monoNow() int64 { return int64(time.Since(monoOrigin())) + 1 }

// idle is how long since a relay last wrote: 0 while one writes; for ever for nil.
func (rl *relays) idle() time.Duration {
	if rl == nil {
		return math.MaxInt64
	}
	if rl.writing.Load() > 0 {
		return 0
	}
	last := rl.last.Load()
	if last == 0 {
		return math.MaxInt64
	}
	return time.Duration(monoNow() - last)
}

// handedNow is how many bytes the relays have handed on so far; 0 for nil.
func (rl *relays) handedNow() int64 {
	if rl == nil {
		return 0
	}
	return rl.handed.Load()
}

// gaveUpOf is out's give-up (logfile.Writer.GaveUp), nil if it never gives up.
func gaveUpOf(out io.Writer) <-chan struct{} {
	if g, ok := out.(interface{ GaveUp() <-chan struct{} }); ok {
		return g.GaveUp()
	}
	return nil
}

// handoff is a relay's output: each Write is handed over to a goroutine of its own, which
// writes it to out while the relay reads on. A Write waits until the one before it is
// written, so that the relay reads ahead by one read at most, and a program that writes
// faster than out takes its lines waits as it would writing to out itself. Once out gives
// up (logfile.Writer.Bound: a reader that stopped reading, at a stop), a Write stops
// waiting behind the one stuck, and hands its lines to out at once, which drops and counts
// them: the relay reads the program's output to its end, and none of it is lost uncounted.
type handoff struct {
	out    io.Writer
	gaveUp <-chan struct{} // out's give-up; nil if it never gives up
	ch     chan []byte
	done   chan struct{} // closed once the goroutine has written every Write handed over
	bufs   [2][]byte     // a Write's copy, and the one before it, being written
	next   int
	rls    []*relays
}

// newHandoff starts a handoff to out, which writes through a writer that closes gaveUp
// once it gives up (nil: never), its writes followed by every one of rls.
func newHandoff(out io.Writer, gaveUp <-chan struct{}, rls ...*relays) *handoff {
	h := &handoff{out: out, gaveUp: gaveUp, ch: make(chan []byte), done: make(chan struct{}), rls: rls}
	proc.GoDeaf(func() { // blocked on a frozen disk, its thread must take no signal of the daemon's
		defer close(h.done)
		for b := range h.ch {
			_, _ = out.Write(b)
		}
	})
	return h
}

// Write hands p over to be written, once what was handed over before is written, or
// writes it at once (dropped) once out gave up; it returns len(p), nil.
func (h *handoff) Write(p []byte) (int, error) {
	defer h.writing()()
	for _, rl := range h.rls {
		rl.handed.Add(int64(len(p)))
	}
	if h.given() {
		return h.out.Write(p) // never waits: dropped and counted; p is not kept
	}
	b := append(h.bufs[h.next][:0], p...) // the other buffer may be being written still
	h.bufs[h.next], h.next = b, 1-h.next
	select {
	case h.ch <- b:
	case <-h.gaveUp:
		_, _ = h.out.Write(b) // not handed over: b is this Write's alone
	}
	return len(p), nil
}

// close waits until every Write handed over is written, or out gave up.
func (h *handoff) close() {
	defer h.writing()()
	close(h.ch)
	select {
	case <-h.done:
	case <-h.gaveUp:
	}
}

// given reports whether out gave up.
func (h *handoff) given() bool { return closed(h.gaveUp) }

// writing marks rls writing until the func it returns is called.
func (h *handoff) writing() func() {
	for _, rl := range h.rls {
		rl.writing.Add(1)
	}
	return func() {
		now := monoNow()
		for _, rl := range h.rls {
			rl.last.Store(now) // before writing drops: idle never reads an old last at 0 writers
			rl.writing.Add(-1)
		}
	}
}

// cutAt is where to cut a line that fills b: before the UTF-8 character that b ends in the
// middle of, so that neither piece holds half of it (a JSON log would show U+FFFD for
// each half); at len(b) when b ends on a character boundary, or in bytes that are not
// UTF-8, which stay as they are.
func cutAt(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-(utf8.UTFMax-1); i-- {
		if utf8.RuneStart(b[i]) {
			if i > 0 && !utf8.FullRune(b[i:]) { // a valid start of a character, not all there
				return i
			}
			break
		}
	}
	return len(b)
}

// jsonLines writes whole lines (what relay writes) to out as JSON objects, one a line, in
// the shape of the daemon's own JSON log (its @timestamp in the local zone, with its
// offset), all that one Write brings in one write.
type jsonLines struct {
	out    io.Writer
	stream string // stdout or stderr
	pid    int
}

// jsonLine is one line of the program's output, its fields in the order hclog writes its own.
type jsonLine struct {
	Level     string `json:"@level"`
	Message   string `json:"@message"`
	Module    string `json:"@module"`
	Timestamp string `json:"@timestamp"`
	PID       int    `json:"pid"`
	Stream    string `json:"stream"`
}

func (j *jsonLines) Write(p []byte) (int, error) {
	now := time.Now().Format("2006-01-02T15:04:05.000000Z07:00") // local, as hclog's own lines
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf) // one object and a newline each
	enc.SetEscapeHTML(false)
	for line := range bytes.Lines(p) {
		msg := string(bytes.TrimSuffix(line, []byte("\n"))) // not UTF-8: U+FFFD, as json.Marshal does
		if err := enc.Encode(jsonLine{Level: "info", Message: msg, Module: "program", Timestamp: now, PID: j.pid, Stream: j.stream}); err != nil {
			return 0, err
		}
	}
	if _, err := j.out.Write(buf.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}
