package supervisor

import (
	"bufio"
	"errors"
	"io"
	"os"
)

// maxLine is the longest line relayed as one; a longer one is cut into pieces this long,
// each written as a line of its own.
const maxLine = 64 << 10

// relay copies what the program writes to r into out, line by line, each line in one
// Write (the log's writer writes each whole or not at all), until EOF; a last line without
// a newline gets one. It closes r.
func relay(r *os.File, out io.Writer) {
	defer r.Close()
	br := bufio.NewReaderSize(r, maxLine)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			if line[len(line)-1] != '\n' {
				line = append(line[:len(line):len(line)], '\n') // a cut or a last line: a copy, whole
			}
			_, _ = out.Write(line)
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}
