package supervisor

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/daemonkit/daemonkit/internal/storage"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestControlSocketKeepsUmask: while the control socket is made, the process's umask stays
// what it was, so a program the supervisor forks meanwhile (a restart, on another
// goroutine) inherits the umask it was given, not 077. Read from /proc/self/status, whose
// Umask line is the process's, on another goroutine throughout.
func TestControlSocketKeepsUmask(t *testing.T) {
	want, err := umaskLine()
	if err != nil {
		t.Skip(err)
	}
	c := &controlSocket{r: &run{s: New(Config{ControlPath: filepath.Join(t.TempDir(), "control")}, nil)}}
	var wg sync.WaitGroup
	done := make(chan struct{})
	seen := make(chan []byte, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			if got, _ := umaskLine(); !bytes.Equal(got, want) {
				seen <- got
				return
			}
		}
	}()
	for i := 0; i < 300; i++ {
		if err := c.listen(); err != nil {
			t.Fatal(err)
		}
		c.ln.Close()
	}
	close(done)
	wg.Wait()
	select {
	case got := <-seen:
		t.Errorf("umask changed while a socket was made: %q, want %q", got, want)
	default:
	}
}

// umaskLine is the process's Umask line of /proc/self/status.
func umaskLine() ([]byte, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil, err
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("Umask:")) {
			return line, nil
		}
	}
	return nil, errors.New("no Umask line in /proc/self/status (Linux before 4.7)")
}

// TestSocketsOnFAT: the control socket and the notify socket in a directory whose file
// system cannot hold Unix sockets (FAT, through fusefat: EIO) fail with what the file
// system lacks and the fix, not the bare errno.
func TestSocketsOnFAT(t *testing.T) {
	dir := testutil.FATDir(t)
	want := "cannot hold Unix sockets: give --state-dir (or --pidfile) a directory on another file system (such as /run)"
	c := &controlSocket{r: &run{s: New(Config{ControlPath: filepath.Join(dir, "web.ctl")}, nil)}}
	err := c.listen()
	if err == nil {
		c.ln.Close()
	}
	if !errors.Is(err, storage.ErrNoSockets) || !strings.HasSuffix(fmt.Sprint(err), want) {
		t.Errorf("control socket on FAT: %v; want it to end %q", err, want)
	}
	sock, err := listenNotify(dir)
	if err == nil {
		sock.Close()
	}
	if !errors.Is(err, storage.ErrNoSockets) || !strings.HasSuffix(fmt.Sprint(err), want) {
		t.Errorf("notify socket on FAT: %v; want it to end %q", err, want)
	}
}
