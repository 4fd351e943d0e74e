package supervisor

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"time"
)

// maxLine is the longest line relayed as one; a longer one is cut into pieces this long,
// each written as a line of its own.
const maxLine = 64 << 10

// relay copies what the program writes to r into out until EOF. Each Write holds whole
// lines only, as many as one read brought (up to maxLine bytes), so the log's writer, which
// writes each Write whole or not at all, never splits a line, and a chatty program costs
// one write(2) per read rather than one per line. A line longer than maxLine is cut into
// pieces that long, each written as a line of its own; a last line without a newline gets
// one. It closes r.
func relay(r *os.File, out io.Writer) {
	defer r.Close()
	buf := make([]byte, maxLine)
	held := 0 // buf[:held] is a line begun but not yet ended
	for {
		n, err := r.Read(buf[held:])
		held += n
		if end := bytes.LastIndexByte(buf[:held], '\n'); end >= 0 {
			_, _ = out.Write(buf[:end+1])
			held = copy(buf, buf[end+1:held])
		} else if held == len(buf) {
			_, _ = out.Write(append(buf[:held:held], '\n')) // a cut: a copy, whole
			held = 0
		}
		if err != nil {
			if held > 0 {
				_, _ = out.Write(append(buf[:held:held], '\n')) // the last line: a copy, whole
			}
			return
		}
	}
}

// jsonLines writes whole lines (what relay writes) to out as JSON objects, one a line, in
// the shape of the daemon's own JSON log, all that one Write brings in one write.
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
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000000Z07:00")
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
