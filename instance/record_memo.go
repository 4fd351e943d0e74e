package instance

import (
	"bytes"
	"encoding/json"
	"slices"
	"sync"
)

// decodedRecord keeps the last record this process decoded, with the bytes it came from.
// One stop reads its instance's record about ten times (the name's checks, the timeout,
// the lock holder's proof, the drain, the leftovers, the marks, the report), and decoding
// the same few kilobytes again each time (a record holds the environment it was started
// with) was a millisecond of stop's own time here: encoding/json scans every byte twice.
// A read whose bytes are those of the last decode takes its result instead; the file is
// still opened, checked and read every time, so what a caller gets is what the file says
// at that moment, exactly as a fresh decode would give it.
var decodedRecord struct {
	mu  sync.Mutex
	raw []byte
	rec Record
}

// testDecodes counts the records decoded (not taken from decodedRecord), for tests.
var testDecodes int

// decodeRecord is json.Unmarshal of b into a Record, or, where b is the last record decoded
// byte for byte, a copy of its result that shares nothing a caller could change with it.
// It takes b (the caller keeps no other use of it). The decode itself runs outside the
// lock, so that the parallel reads of list and --all (each of its own record) do not
// wait for one another's.
func decodeRecord(b []byte) (Record, error) {
	decodedRecord.mu.Lock()
	if decodedRecord.raw != nil && bytes.Equal(b, decodedRecord.raw) {
		r := decodedRecord.rec.clone()
		decodedRecord.mu.Unlock()
		return r, nil
	}
	testDecodes++
	decodedRecord.mu.Unlock()
	var r Record
	err := json.Unmarshal(b, &r)
	decodedRecord.mu.Lock()
	defer decodedRecord.mu.Unlock()
	if err != nil {
		return Record{}, err
	}
	decodedRecord.raw, decodedRecord.rec = b, r
	return r.clone(), nil
}

// clone is r with its own copy of every slice, so that changing one copy's elements
// never changes the other's.
func (r Record) clone() Record {
	r.Request = bytes.Clone(r.Request)
	r.Command = slices.Clone(r.Command)
	r.Copies = slices.Clone(r.Copies)
	r.Sockets = slices.Clone(r.Sockets)
	return r
}
