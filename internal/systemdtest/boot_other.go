//go:build !linux

package systemdtest

import "testing"

const noFollow = 0

// Share does nothing: Boot never boots anything here.
func (sd *Systemd) Share(t testing.TB, paths ...string) {}

// Boot skips the test: booting systemd in namespaces needs Linux.
func Boot(t testing.TB) *Systemd {
	t.Helper()
	t.Skip("systemdtest: booting systemd needs Linux")
	return nil
}

// Kill does nothing: Boot never boots anything here.
func (sd *Systemd) Kill(t testing.TB) {}

// Gone reports true: Boot never boots anything here.
func (sd *Systemd) Gone() bool { return true }
