package proc

import (
	"os"
	"path/filepath"
)

// SetName sets the command name of this process (/proc/PID/comm, what ps -C, pgrep -x and
// top show) to the base name of argv0, cut to the kernel's 15 bytes. A process executed
// through /proc/self/exe is otherwise named "exe". It writes /proc/self/comm, which names
// the thread group leader whichever thread writes it.
func SetName(argv0 string) error {
	name := filepath.Base(argv0)
	if len(name) > 15 {
		name = name[:15]
	}
	return os.WriteFile("/proc/self/comm", []byte(name), 0)
}
