//go:build !linux

package server

import "golang.org/x/sys/unix"

// dupOnto makes descriptor to a duplicate of from, atomically, without close-on-exec.
func dupOnto(from, to int) error { return unix.Dup2(from, to) }
