package supervisor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestELFInterpreter: the dynamic loader named by PT_INTERP, for 64-bit little-endian and
// 32-bit big-endian files, none for a file without one, and nothing for garbage.
func TestELFInterpreter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		class  byte
		order  binary.ByteOrder
		interp string
	}{
		{"64-bit little-endian", 2, binary.LittleEndian, "/lib64/ld-linux-x86-64.so.2"},
		{"32-bit big-endian", 1, binary.BigEndian, "/lib/ld.so.1"},
		{"no PT_INTERP", 2, binary.LittleEndian, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := elfInterpreter(bytes.NewReader(fakeELF(tc.class, tc.order, tc.interp))); got != tc.interp {
				t.Fatalf("elfInterpreter = %q, want %q", got, tc.interp)
			}
		})
	}
	if got := elfInterpreter(bytes.NewReader([]byte("\x7fELF garbage"))); got != "" {
		t.Fatalf("elfInterpreter(garbage) = %q, want none", got)
	}
}

// fakeELF makes an ELF file of the class (1: 32-bit, 2: 64-bit) with two program headers:
// a PT_LOAD, and a PT_INTERP naming interp (a PT_NOTE instead when interp is empty).
func fakeELF(class byte, order binary.ByteOrder, interp string) []byte {
	b := make([]byte, 512)
	copy(b, "\x7fELF")
	b[4], b[5] = class, 1
	if order == binary.BigEndian {
		b[5] = 2
	}
	const phoff, strOff = 64, 256
	copy(b[strOff:], interp+"\x00")
	typ := uint32(3) // PT_INTERP
	if interp == "" {
		typ = 4 // PT_NOTE
	}
	if class == 1 {
		order.PutUint32(b[28:], phoff)
		order.PutUint16(b[42:], 32)
		order.PutUint16(b[44:], 2)
		order.PutUint32(b[phoff:], 1) // PT_LOAD
		ph := b[phoff+32:]
		order.PutUint32(ph, typ)
		order.PutUint32(ph[4:], strOff)
		order.PutUint32(ph[16:], uint32(len(interp)+1))
	} else {
		order.PutUint64(b[32:], phoff)
		order.PutUint16(b[54:], 56)
		order.PutUint16(b[56:], 2)
		order.PutUint32(b[phoff:], 1) // PT_LOAD
		ph := b[phoff+56:]
		order.PutUint32(ph, typ)
		order.PutUint64(ph[8:], strOff)
		order.PutUint64(ph[32:], uint64(len(interp)+1))
	}
	return b
}

// TestExplainExecWithoutPATH: a program named without a slash, looked up with PATH unset
// or empty (env -i), is found nowhere; the error says why, and how to give it. With PATH
// set, not found is said as it is.
func TestExplainExecWithoutPATH(t *testing.T) {
	for _, path := range []string{"", "/nonexistent"} {
		t.Setenv("PATH", path)
		_, lookErr := exec.LookPath("sleep")
		if lookErr == nil {
			t.Fatalf("LookPath(sleep) with PATH=%q: found", path)
		}
		err := explainExec("sleep", lookErr, nil)
		says := strings.Contains(err.Error(), "PATH is not set in daemonkit's environment") && strings.Contains(err.Error(), "/usr/bin/sleep")
		if says != (path == "") || !errors.Is(err, exec.ErrNotFound) {
			t.Errorf("explainExec with PATH=%q: %v; want it to say that PATH is not set: %v", path, err, path == "")
		}
	}
}
