//go:build !linux

package server

// watchTerminal watches nothing outside Linux: a SIGHUP there always reloads.
func watchTerminal() *terminalWatch { return nil }
