//go:build !linux

package notify

// RemoveStale removes nothing here: there are no notify sockets (see ErrUnsupported).
func RemoveStale(string) []string { return nil }
