package instance

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestReadRecordDecodesOnce: reading a record whose bytes did not change decodes it once,
// each read gets a record of its own (changing one changes no other), and a record whose
// bytes changed, even to the same length, is read as it is now.
func TestReadRecordDecodesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.json")
	want := Record{Name: "web", PID: 100, Program: "daemonkit", Command: []string{"sleep", "1000"},
		Request: []byte(`{"name":"web"}`), Copies: []Copy{{PID: 100, Generation: 1, State: "running"}}, Sockets: []string{"tcp:x"}}
	if err := WriteRecord(path, want); err != nil {
		t.Fatal(err)
	}
	before := testDecodes
	first, err := ReadRecord(path)
	if err != nil {
		t.Fatal(err)
	}
	request := bytes.Clone(first.Request)
	first.Command[0], first.Request[2], first.Copies[0].PID, first.Sockets[0] = "changed", 'X', 1, "changed"
	second, err := ReadRecord(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := testDecodes - before; n != 1 {
		t.Errorf("two reads of one record decoded it %d times, want 1", n)
	}
	if second.Command[0] != "sleep" || !bytes.Equal(second.Request, request) || second.Copies[0].PID != 100 || second.Sockets[0] != "tcp:x" {
		t.Errorf("a change to one read's record showed in the next: %+v", second)
	}
	second.Command[0], second.Request[2], second.Copies[0].PID, second.Sockets[0] = "changed", 'X', 1, "changed"
	again, err := ReadRecord(path)
	if err != nil {
		t.Fatal(err)
	}
	if again.Command[0] != "sleep" || !bytes.Equal(again.Request, request) || again.Copies[0].PID != 100 || again.Sockets[0] != "tcp:x" {
		t.Errorf("a change to a record read from memory showed in the next read: %+v", again)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	same := bytes.Replace(b, []byte(`"pid": 100,`), []byte(`"pid": 200,`), 1)
	if len(same) != len(b) || bytes.Equal(same, b) {
		t.Fatalf("the record does not hold %q:\n%s", `"pid": 100,`, b)
	}
	if err := os.WriteFile(path, same, 0o600); err != nil {
		t.Fatal(err)
	}
	third, err := ReadRecord(path)
	if err != nil {
		t.Fatal(err)
	}
	if third.PID != 200 {
		t.Errorf("after the record changed (same length), read pid %d, want 200", third.PID)
	}
}

// TestReadSized: a file read with the size its stat gave is read whole, whether it grew
// or shrank since.
func TestReadSized(t *testing.T) {
	text := strings.Repeat("record ", 1000)
	for _, size := range []int64{0, 1, 512, int64(len(text)) - 1, int64(len(text)), int64(len(text)) + 100, -1} {
		got, err := readSized(strings.NewReader(text), size)
		if err != nil || string(got) != text {
			t.Errorf("readSized(size %d) = %d bytes, %v; want all %d", size, len(got), err, len(text))
		}
	}
	if got, err := readSized(strings.NewReader(""), 10); err != nil || len(got) != 0 {
		t.Errorf("readSized of nothing = %q, %v", got, err)
	}
	var r Record
	if !reflect.DeepEqual(r.clone(), r) {
		t.Errorf("clone of an empty record is not empty: %+v", r.clone())
	}
}
