package server_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/handshake"
	"github.com/daemonkit/daemonkit/server"
)

// TestRunNilWorkload: Run given no workload (a nil Workload, or a nil WorkloadFunc) fails
// its start saying so, as a workload's failure before ready, and leaves no pidfile: not
// with a nil pointer dereference that names only a line of package server.
func TestRunNilWorkload(t *testing.T) {
	var nilFunc server.WorkloadFunc
	for name, w := range map[string]server.Workload{"nil": nil, "nil WorkloadFunc": nilFunc} {
		pf := filepath.Join(t.TempDir(), "app.pid")
		err := server.Run(context.Background(), w, server.Options{Name: "app", PIDFile: pf})
		if !errors.Is(err, handshake.ErrWorkFailed) || !strings.Contains(fmt.Sprint(err), "no Workload") {
			t.Errorf("Run(%s workload) = %v; want a failed start that says it was given no Workload", name, err)
		}
		if _, serr := os.Stat(pf); !os.IsNotExist(serr) {
			t.Errorf("Run(%s workload) left its pidfile: %v", name, serr)
		}
	}
}
