package supervisor

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// FuzzELFInterpreter: elfInterpreter reads the headers of whatever file a user names as
// the program, and a damaged or hostile one must not crash start or the supervisor. It
// never panics; what it returns is "" or a path of at most 4096 bytes with no NUL; and for
// a well-formed file made from the input (the fuzzed bytes as its interpreter) it returns
// that interpreter.
func FuzzELFInterpreter(f *testing.F) {
	f.Add(fakeELF(2, binary.LittleEndian, "/lib64/ld-linux-x86-64.so.2"), "/lib64/ld-linux-x86-64.so.2")
	f.Add(fakeELF(1, binary.BigEndian, "/lib/ld.so.1"), "/lib/ld.so.1")
	f.Add(fakeELF(2, binary.LittleEndian, ""), "")
	f.Add([]byte("\x7fELF garbage"), "x")
	f.Fuzz(func(t *testing.T, file []byte, interp string) {
		got := elfInterpreter(bytes.NewReader(file))
		if len(got) > 4096 || bytes.IndexByte([]byte(got), 0) >= 0 {
			t.Fatalf("elfInterpreter(%q) = %q: longer than a header may name, or past its first NUL", file, got)
		}
		if interp == "" || len(interp) > 200 || bytes.IndexByte([]byte(interp), 0) >= 0 {
			return // fakeELF's string table holds up to 255 bytes, and a NUL ends the path
		}
		for _, class := range []byte{1, 2} {
			for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
				if got := elfInterpreter(bytes.NewReader(fakeELF(class, order, interp))); got != interp {
					t.Fatalf("elfInterpreter(class %d, %v, %q) = %q", class, order, interp, got)
				}
			}
		}
	})
}
