//go:build !linux

// Package random fills buffers from the kernel's CSPRNG without crypto/rand on Linux, whose
// package tree every process of the binary would otherwise pay for at start-up (see
// docs/performance.md); elsewhere it is crypto/rand.
package random

import "crypto/rand"

// Read fills b from the system's CSPRNG, or returns why it could not.
func Read(b []byte) error {
	_, err := rand.Read(b)
	return err
}
