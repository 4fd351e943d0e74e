// Package instance knows where a named daemon's files live (pidfile, log, record) and does
// what is done to a daemon from outside: inspect it, signal it, stop it.
//
// Whether an instance runs is decided by its pidfile's lock, never by the pid the file
// names: a stale or tampered file can never make Stop or Signal reach an unrelated process.
// On Linux the lock holder is reached through a pidfd (see internal/proc), so a pid reused
// between looking and signalling cannot be hit either.
package instance
