package http1

import (
	"testing"
	"time"
)

// SetWatchReadHook sets testHookWatchRead until the test ends.
func SetWatchReadHook(t *testing.T, f func()) {
	testHookWatchRead = f
	t.Cleanup(func() { testHookWatchRead = nil })
}

// SetDrainRecent sets drainRecent until the test ends.
func SetDrainRecent(t *testing.T, d time.Duration) {
	old := drainRecent
	drainRecent = d
	t.Cleanup(func() { drainRecent = old })
}
