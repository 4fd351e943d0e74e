package supervisor

import (
	"bytes"
	"io"
	"os"
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
