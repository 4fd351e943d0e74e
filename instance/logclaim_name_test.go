package instance

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkRunsElsewhere: status or stop of a name that is not running, in a state
// directory of 313 claims none of which names it, as status web reads them for its note.
func BenchmarkRunsElsewhere(b *testing.B) {
	dir := b.TempDir()
	for i := range 313 {
		claim := fmt.Sprintf(`{"name":"n%03d","pidfile":"%s/n%03d.pid","record":"%s/n%03d.json","log":"%s/n%03d.log"}`, i, dir, i, dir, i, dir, i)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf(".log-p%032d.claim", i)), []byte(claim), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	pidfile := filepath.Join(dir, "web.pid")
	for b.Loop() {
		if found := RunsElsewhere(dir, "web", pidfile); len(found) != 0 {
			b.Fatal(found)
		}
	}
}
