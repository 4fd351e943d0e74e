package supervisor

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"time"
	"unicode/utf8"
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
