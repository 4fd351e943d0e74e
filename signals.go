package main

import (
	"fmt"
	"strings"
	"syscall"
)

// signalName is a signal given by name on the command line: TERM or SIGTERM.
type signalName syscall.Signal

var signalsByName = map[string]syscall.Signal{
	"TERM": syscall.SIGTERM, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT, "HUP": syscall.SIGHUP,
	"USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2, "KILL": syscall.SIGKILL,
}

// UnmarshalText accepts the names in signalsByName, upper or lower case, with or without SIG.
func (s *signalName) UnmarshalText(text []byte) error {
	name := strings.TrimPrefix(strings.ToUpper(string(text)), "SIG")
	sig, ok := signalsByName[name]
	if !ok {
		return fmt.Errorf("unknown signal %q (want TERM, INT, QUIT, HUP, USR1, USR2 or KILL)", text)
	}
	*s = signalName(sig)
	return nil
}
