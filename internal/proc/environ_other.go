//go:build !linux

package proc

// WithEnv cannot read other processes' environments here: it finds none.
func WithEnv(string) []int { return nil }

// HasEnv cannot read other processes' environments here: always false.
func HasEnv(int, string) bool { return false }

// Getenv cannot read other processes' environments here: never found.
func Getenv(int, string) (string, bool) { return "", false }
