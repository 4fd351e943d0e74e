package instance

import "strings"

// WaitsInKernel says why pid, still running after SIGKILL, outlived it when a thread of it
// waits in the kernel (state D), which no signal ends: why, and when it will end, in the
// words of Stop's error. "" otherwise (or where that cannot be read).
func WaitsInKernel(pid int) string {
	return strings.TrimPrefix(waitsInKernel(pid), ": ")
}
