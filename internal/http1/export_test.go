package http1

import "testing"

// SetWatchReadHook sets testHookWatchRead until the test ends.
func SetWatchReadHook(t *testing.T, f func()) {
	testHookWatchRead = f
	t.Cleanup(func() { testHookWatchRead = nil })
}
