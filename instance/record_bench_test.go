package instance

import (
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkWriteRecordCrowded times WriteRecord of one instance in a state directory
// that holds the records of 1000 others: what one write of a daemon, a start or a stop
// costs on a host of many instances.
func BenchmarkWriteRecordCrowded(b *testing.B) {
	dir := b.TempDir()
	for i := range 1000 {
		p := filepath.Join(dir, fmt.Sprintf("inst-%04d.json", i))
		if err := WriteRecord(p, Record{Name: fmt.Sprintf("inst-%04d", i), PID: 1, Program: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
	path := filepath.Join(dir, "web.json")
	r := Record{Name: "web", PID: 1, Program: "bench", State: StateRunning}
	b.ResetTimer()
	for range b.N {
		if err := WriteRecord(path, r); err != nil {
			b.Fatal(err)
		}
	}
}
