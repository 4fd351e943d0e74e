package instance

import "testing"

// WaitsInKernel says, in Stop's words, why a process in state D outlived SIGKILL, for a
// message of its own (the supervisor's log): without the ": " that joins them to Stop's.
func TestWaitsInKernelShared(t *testing.T) {
	old := inKernelWait
	t.Cleanup(func() { inKernelWait = old })
	inKernelWait = func(pid int) bool { return pid == 42 }
	if got, want := WaitsInKernel(42), waitsInKernel(42)[len(": "):]; got != want || got == "" {
		t.Errorf("WaitsInKernel(42) = %q, want %q", got, want)
	}
	if got := WaitsInKernel(43); got != "" {
		t.Errorf("WaitsInKernel of a process not in state D = %q, want nothing", got)
	}
}
